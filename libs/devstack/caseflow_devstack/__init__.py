"""The local stack for development, tests and benchmarks: the project's own Kafka, PostgreSQL and
Prometheus launchers, the four services as processes, `caseflow up` and `caseflow infra`. Not part of
the runtime library (the image installs without it)."""
