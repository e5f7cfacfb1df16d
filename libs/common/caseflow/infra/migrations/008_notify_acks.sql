-- notify: acknowledgements (by a unit or a robot callback) and escalations of unacknowledged overdue alerts.
CREATE TABLE IF NOT EXISTS notify_acks (
    alert_id text PRIMARY KEY,
    acked_by text NOT NULL,
    acked_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS notify_escalations (
    alert_id     text PRIMARY KEY,  -- the unacknowledged alert
    escalated_id text NOT NULL,     -- the alert raised for leadership and the command centre
    at           timestamptz NOT NULL DEFAULT now()
);
