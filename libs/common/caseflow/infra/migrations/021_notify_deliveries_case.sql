-- notify: a case's `resolved` alert goes to every receiver that was sent an alert of the case; finding
-- them scanned every delivery of the month without this index (each batch of a history backlog).
CREATE INDEX IF NOT EXISTS notify_deliveries_case ON notify_deliveries (case_id);
