-- Every accepted event, as it was on the case-events topic, kept independent of Kafka's retention.
-- Partitioned by the month (Asia/Shanghai) of the Kafka record timestamp; partitions are created on
-- demand by the archiver. Append-only: updates and deletes raise; retention = detach a partition.
CREATE TABLE IF NOT EXISTS event_archive (
    arrived_at  timestamptz NOT NULL,  -- the Kafka record timestamp (intake's produce time)
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    event_id    text,
    case_id     text,
    raw         bytea       NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (arrived_at, topic, partition, "offset")
) PARTITION BY RANGE (arrived_at);
CREATE INDEX IF NOT EXISTS event_archive_position ON event_archive (topic, partition, "offset");

CREATE OR REPLACE FUNCTION event_archive_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_archive is append-only (% refused)', TG_OP;
END $$;
DROP TRIGGER IF EXISTS event_archive_no_change ON event_archive;
CREATE TRIGGER event_archive_no_change BEFORE UPDATE OR DELETE ON event_archive
    FOR EACH ROW EXECUTE FUNCTION event_archive_append_only();

-- Closed months: the audited result, frozen with its hash and the versions that produced it.
CREATE TABLE IF NOT EXISTS closed_months (
    period          text PRIMARY KEY,
    document        jsonb       NOT NULL,
    content_hash    text        NOT NULL,
    scheme_versions jsonb       NOT NULL,
    code_version    text        NOT NULL,
    source          text        NOT NULL,
    closed_by       text        NOT NULL,
    closed_at       timestamptz NOT NULL DEFAULT now()
);
