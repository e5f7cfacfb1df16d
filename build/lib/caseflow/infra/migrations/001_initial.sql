-- Consumer offsets, committed in the same transaction as the state they produced.
CREATE TABLE IF NOT EXISTS consumer_offsets (
    consumer    text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);

-- intake: ids it has acknowledged (best-effort "duplicate" answers; dispatch is the authority).
CREATE TABLE IF NOT EXISTS intake_accepted (
    event_id    text PRIMARY KEY,
    case_id     text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);

-- dispatch: every event of a case in arrival order, the folded state, rejections, and the outbox.
CREATE TABLE IF NOT EXISTS dispatch_events (
    case_id     text   NOT NULL,
    arrival     bigint NOT NULL,
    event_id    text   NOT NULL UNIQUE,
    raw         bytea  NOT NULL,
    PRIMARY KEY (case_id, arrival)
);
CREATE TABLE IF NOT EXISTS dispatch_cases (
    case_id    text PRIMARY KEY,
    version    integer NOT NULL,
    snapshot   jsonb   NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS dispatch_rejections (
    event_id    text PRIMARY KEY,
    case_id     text NOT NULL,
    occurred_at timestamptz NOT NULL,
    reason      text NOT NULL,
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS dispatch_rejections_case ON dispatch_rejections (case_id);
CREATE TABLE IF NOT EXISTS outbox (
    id      bigserial PRIMARY KEY,
    topic   text  NOT NULL,
    key     text  NOT NULL,
    value   bytea NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'
);

-- scoring: the latest snapshot of every case, enough to evaluate any period as of any instant.
CREATE TABLE IF NOT EXISTS scoring_cases (
    case_id       text PRIMARY KEY,
    version       integer     NOT NULL,
    snapshot      jsonb       NOT NULL,
    reported_at   timestamptz NOT NULL,
    last_event_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS scoring_cases_window ON scoring_cases (reported_at, last_event_at);
