-- scoring: assessment records (findings, grades, bonuses) with their workflow state, every change to
-- them, and the files attached as evidence. Nothing here is ever deleted, and a change once written
-- is never altered: the triggers below refuse DELETE (and UPDATE of changes and files).
CREATE TABLE IF NOT EXISTS assessment_records (
    id         text PRIMARY KEY,
    template   text NOT NULL,
    subject    text NOT NULL,
    period     text NOT NULL,
    item       text NOT NULL,
    kind       text NOT NULL,
    status     text NOT NULL,
    version    integer NOT NULL,
    record     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS assessment_records_period ON assessment_records (template, period, subject);

CREATE TABLE IF NOT EXISTS assessment_changes (
    id        bigserial PRIMARY KEY,
    record_id text NOT NULL REFERENCES assessment_records (id),
    at        timestamptz NOT NULL,
    who       text NOT NULL,
    action    text NOT NULL,
    old       jsonb,
    new       jsonb,
    why       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS assessment_changes_record ON assessment_changes (record_id, id);

CREATE TABLE IF NOT EXISTS assessment_files (
    hash        text PRIMARY KEY,  -- sha256:<hex> of the content
    media_type  text NOT NULL,
    size        integer NOT NULL,
    name        text NOT NULL DEFAULT '',
    content     bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION assessment_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: assessment records, their changes and files are kept as written (withdraw a record instead)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS assessment_records_kept ON assessment_records;
CREATE TRIGGER assessment_records_kept BEFORE DELETE ON assessment_records
    FOR EACH ROW EXECUTE FUNCTION assessment_kept();
DROP TRIGGER IF EXISTS assessment_changes_kept ON assessment_changes;
CREATE TRIGGER assessment_changes_kept BEFORE UPDATE OR DELETE ON assessment_changes
    FOR EACH ROW EXECUTE FUNCTION assessment_kept();
DROP TRIGGER IF EXISTS assessment_files_kept ON assessment_files;
CREATE TRIGGER assessment_files_kept BEFORE UPDATE OR DELETE ON assessment_files
    FOR EACH ROW EXECUTE FUNCTION assessment_kept();
