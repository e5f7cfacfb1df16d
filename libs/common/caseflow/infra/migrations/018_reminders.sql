-- scoring: window reminders already queued (an id names the window, so each is told once)
CREATE TABLE IF NOT EXISTS reminders_told (
    alert_id text PRIMARY KEY,
    told_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
