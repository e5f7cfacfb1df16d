-- notify: every alert received from the alerts topic, once per alert_id (delivery builds on this).
CREATE TABLE IF NOT EXISTS notify_inbox (
    alert_id    text PRIMARY KEY,
    unit        text NOT NULL,
    case_id     text NOT NULL,
    body        jsonb NOT NULL,
    traceparent text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notify_inbox_unit ON notify_inbox (unit, received_at);
