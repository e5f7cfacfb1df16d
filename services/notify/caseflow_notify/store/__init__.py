"""notify's PostgreSQL adapters: every SQL statement the service runs (the delivery queue, the robots'
rate limits, the inbox and its reads, silences, the boards)."""
