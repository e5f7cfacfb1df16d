-- notify: robots' rate limits shared by every replica, what the vendors answered, and catching up.
-- One row per message sent (or being sent) to a robot (DingTalk access token / WeCom key): at most
-- 20 in any minute per robot, whichever unit or replica sends.
CREATE TABLE IF NOT EXISTS notify_robot_sends (
    id          bigserial PRIMARY KEY,
    robot       text NOT NULL,
    reserved_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    done_at     timestamptz
);
CREATE INDEX IF NOT EXISTS notify_robot_sends_robot ON notify_robot_sends (robot, reserved_at);
-- A robot the vendor throttled is left alone until blocked_until (DingTalk: 10 minutes).
CREATE TABLE IF NOT EXISTS notify_robots (
    robot         text PRIMARY KEY,
    blocked_until timestamptz NOT NULL DEFAULT '1970-01-01 00:00+00',
    last_code     integer,
    last_message  text NOT NULL DEFAULT ''
);
-- catch_up: the alert reached notify long after its instant; it goes out in a digest.
-- solo: the vendor refused its message as too long; it goes out in a message of its own.
ALTER TABLE notify_deliveries ADD COLUMN IF NOT EXISTS catch_up boolean NOT NULL DEFAULT false;
ALTER TABLE notify_deliveries ADD COLUMN IF NOT EXISTS solo boolean NOT NULL DEFAULT false;
ALTER TABLE notify_deliveries ADD COLUMN IF NOT EXISTS vendor_code integer;
CREATE INDEX IF NOT EXISTS notify_deliveries_catch_up ON notify_deliveries (catch_up, status, next_at);
ALTER TABLE notify_attempts ADD COLUMN IF NOT EXISTS vendor_code integer;
ALTER TABLE notify_attempts ADD COLUMN IF NOT EXISTS vendor_message text NOT NULL DEFAULT '';
ALTER TABLE notify_attempts ADD COLUMN IF NOT EXISTS message_bytes integer;
ALTER TABLE notify_receivers ADD COLUMN IF NOT EXISTS last_digest_at timestamptz;
