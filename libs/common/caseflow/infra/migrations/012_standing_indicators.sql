-- scoring: the current day's, month's, quarter's and year's documents, kept up to date as snapshots
-- arrive (and as time passes), so dashboards and APIs read them without evaluating anything.
CREATE TABLE IF NOT EXISTS scoring_standing (
    kind        text PRIMARY KEY,  -- day | month | quarter | year
    period      text        NOT NULL,
    as_of       timestamptz NOT NULL,
    document    jsonb       NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    seconds     double precision NOT NULL
);
