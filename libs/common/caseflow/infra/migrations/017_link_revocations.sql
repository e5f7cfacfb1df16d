-- link tokens (caseflow.access.links): a unit's tokens issued at or before revoked_at_s no longer open anything
CREATE TABLE IF NOT EXISTS link_revocations (
    unit_id      text PRIMARY KEY,
    revoked_at_s bigint NOT NULL,
    revoked_by   text NOT NULL,
    why          text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
