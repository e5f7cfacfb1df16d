"""scoring's PostgreSQL adapters: every SQL statement the service runs (case snapshots, the deadline
clock's alerts and timers with the outbox, closed months, manual evaluations, standing indicators)."""
