-- scoring's clock: a timer made due by a case change (make_due) is `changed`; a deadline timer (set by
-- planning) is not. Fired deadlines are taken first, so a fresh overdue is never queued behind a backlog
-- of history being re-planned.
ALTER TABLE alert_timers ADD COLUMN IF NOT EXISTS changed boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS alert_timers_deadline_due ON alert_timers (next_at) WHERE NOT changed;
CREATE INDEX IF NOT EXISTS alert_timers_changed_due ON alert_timers (next_at) WHERE changed;
