-- notify: each case's current assignment as the unit's board shows it (from case snapshots).
CREATE TABLE IF NOT EXISTS notify_board (
    case_id       text PRIMARY KEY,
    version       integer NOT NULL,
    unit          text NOT NULL,
    open          boolean NOT NULL,
    dispatched_at timestamptz,
    cycle_start   timestamptz,
    deadline      timestamptz,
    warning_at    timestamptz,
    limit_kind    text NOT NULL DEFAULT 'working',
    suspended     boolean NOT NULL DEFAULT false,
    supervised    boolean NOT NULL DEFAULT false,
    reworks       integer NOT NULL DEFAULT 0,
    facts         jsonb NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS notify_board_unit ON notify_board (unit, open);
CREATE INDEX IF NOT EXISTS notify_board_updated ON notify_board (updated_at);
