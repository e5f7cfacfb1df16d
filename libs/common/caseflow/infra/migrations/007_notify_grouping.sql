-- notify: when each receiver last got a message (grouping windows), and silences with who and why.
CREATE TABLE IF NOT EXISTS notify_receivers (
    receiver     text PRIMARY KEY,
    last_sent_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS notify_silences (
    id         bigserial PRIMARY KEY,
    unit       text NOT NULL,
    case_id    text,
    until      timestamptz NOT NULL,
    created_by text NOT NULL,
    reason     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notify_silences_unit ON notify_silences (unit, until);
