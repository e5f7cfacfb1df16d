-- notify: each open case's overdue risk as scoring last published it (case-risks topic, #35), for the
-- boards' risk tag and their "by risk" order; the newest as_of of a case wins.
CREATE TABLE IF NOT EXISTS notify_risks (
    case_id text PRIMARY KEY,
    seq integer NOT NULL,
    unit text NOT NULL,
    p_late real NOT NULL,
    why text NOT NULL,
    as_of timestamptz NOT NULL
);
