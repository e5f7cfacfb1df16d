-- notify: a delivery is marked `sending` (committed) before its HTTP request, so a crash leaves a trace;
-- such rows are sent again only after a grace period, flagged as a possible redelivery.
ALTER TABLE notify_deliveries ADD COLUMN IF NOT EXISTS sending_since timestamptz;
ALTER TABLE notify_deliveries ADD COLUMN IF NOT EXISTS redelivery boolean NOT NULL DEFAULT false;
