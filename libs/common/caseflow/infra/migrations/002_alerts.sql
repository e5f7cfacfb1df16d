-- scoring's deadline clock: when each case must be planned again, and every alert ever raised.
CREATE TABLE IF NOT EXISTS alert_timers (
    case_id text PRIMARY KEY,
    next_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_timers_due ON alert_timers (next_at);
CREATE TABLE IF NOT EXISTS alerts_raised (
    alert_id  text PRIMARY KEY,
    case_id   text NOT NULL,
    unit      text NOT NULL,
    type      text NOT NULL,
    level     integer NOT NULL,
    due_at    timestamptz NOT NULL,
    raised_at timestamptz NOT NULL DEFAULT now(),
    body      jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_raised_unit ON alerts_raised (unit, due_at);
