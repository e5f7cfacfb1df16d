-- Each service relays only its own outbox rows (services may share one database).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS outbox_source ON outbox (source, id);
