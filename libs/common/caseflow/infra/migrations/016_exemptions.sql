-- scoring: exemption applications (核减申请, rules §4a) with their state and every change to them.
-- Evidence files are the assessment files (by hash). Nothing is deleted; a change is never altered.
CREATE TABLE IF NOT EXISTS exemption_applications (
    id            text PRIMARY KEY,
    period        text NOT NULL,          -- the month the assignment was dispatched in
    case_id       text NOT NULL,
    unit_id       text NOT NULL,
    dispatched_at timestamptz NOT NULL,
    kind          text NOT NULL,
    status        text NOT NULL,
    version       integer NOT NULL,
    application   jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS exemption_applications_period ON exemption_applications (period, unit_id);
CREATE INDEX IF NOT EXISTS exemption_applications_approved ON exemption_applications (dispatched_at)
    WHERE status = 'approved';
-- one open or approved application per assignment and kind (a rejected one may be followed by another)
CREATE UNIQUE INDEX IF NOT EXISTS exemption_applications_one ON exemption_applications
    (case_id, unit_id, dispatched_at, kind) WHERE status <> 'rejected';

CREATE TABLE IF NOT EXISTS exemption_changes (
    id             bigserial PRIMARY KEY,
    application_id text NOT NULL REFERENCES exemption_applications (id),
    at             timestamptz NOT NULL,
    who            text NOT NULL,
    action         text NOT NULL,
    old            jsonb,
    new            jsonb,
    why            text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS exemption_changes_application ON exemption_changes (application_id, id);

CREATE OR REPLACE FUNCTION exemption_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: exemption applications and their changes are kept as written (reject one instead)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS exemption_applications_kept ON exemption_applications;
CREATE TRIGGER exemption_applications_kept BEFORE DELETE ON exemption_applications
    FOR EACH ROW EXECUTE FUNCTION exemption_kept();
DROP TRIGGER IF EXISTS exemption_changes_kept ON exemption_changes;
CREATE TRIGGER exemption_changes_kept BEFORE UPDATE OR DELETE ON exemption_changes
    FOR EACH ROW EXECUTE FUNCTION exemption_kept();
