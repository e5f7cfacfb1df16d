-- notify: one row per (alert, receiver) — the dedup key — and every delivery attempt.
CREATE TABLE IF NOT EXISTS notify_deliveries (
    alert_id     text NOT NULL,
    receiver     text NOT NULL,
    unit         text NOT NULL,
    case_id      text NOT NULL,
    channel_type text NOT NULL,
    status       text NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
    attempts     integer NOT NULL DEFAULT 0,
    first_try_at timestamptz,
    next_at      timestamptz NOT NULL DEFAULT now(),
    last_code    integer,
    last_error   text NOT NULL DEFAULT '',
    done_at      timestamptz,
    PRIMARY KEY (alert_id, receiver)
);
CREATE INDEX IF NOT EXISTS notify_deliveries_due ON notify_deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS notify_deliveries_unit ON notify_deliveries (unit);
CREATE TABLE IF NOT EXISTS notify_attempts (
    id           bigserial PRIMARY KEY,
    alert_id     text NOT NULL,
    receiver     text NOT NULL,
    attempt      integer NOT NULL,
    channel_type text NOT NULL,
    status_code  integer,
    error        text NOT NULL DEFAULT '',
    latency_ms   double precision NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notify_attempts_alert ON notify_attempts (alert_id);
