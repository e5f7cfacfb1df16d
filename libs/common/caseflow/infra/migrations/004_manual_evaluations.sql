-- Operators' manual inputs to schemes (suning-2011's `other`), with an append-only audit trail.
CREATE TABLE IF NOT EXISTS manual_evaluations (
    period     text NOT NULL,
    unit       text NOT NULL,
    key        text NOT NULL,
    value      double precision NOT NULL,
    entered_by text NOT NULL,
    entered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, unit, key)
);
CREATE TABLE IF NOT EXISTS manual_evaluations_audit (
    id         bigserial PRIMARY KEY,
    period     text NOT NULL,
    unit       text NOT NULL,
    key        text NOT NULL,
    value      double precision NOT NULL,
    previous   double precision,
    entered_by text NOT NULL,
    note       text NOT NULL DEFAULT '',
    entered_at timestamptz NOT NULL DEFAULT now()
);
