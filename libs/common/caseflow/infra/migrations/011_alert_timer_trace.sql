-- scoring plans a changed case's alerts on its clock, not inside the snapshot batch: the batch only
-- makes the case's timer due now and keeps the trace of the change for the alerts it leads to.
ALTER TABLE alert_timers ADD COLUMN IF NOT EXISTS trace jsonb NOT NULL DEFAULT '{}';
