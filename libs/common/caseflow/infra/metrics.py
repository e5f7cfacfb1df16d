"""Prometheus metrics every service shares (served on /metrics). Labels stay bounded: service, topic,
partition, reason code, alert type and level, verdict."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter("caseflow_events_consumed_total", "records consumed and committed",
                          ["service", "topic"])
MESSAGES_PRODUCED = Counter("caseflow_messages_produced_total", "messages written to Kafka by the outbox relay",
                            ["service", "topic"])
DEAD_LETTERS = Counter("caseflow_dead_letters_total", "events sent to the dead-letter topic", ["service", "reason"])
BATCH_SECONDS = Histogram("caseflow_batch_seconds", "time to apply and commit one consumed batch", ["service"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BATCH_FAILURES = Counter("caseflow_batch_failures_total", "consumed batches that failed and were retried",
                         ["service"])
MESSAGES_UNREADABLE = Counter("caseflow_messages_unreadable_total",
                              "consumed messages that did not decode (logged, left out of the batch)", ["entrypoint"])
ENTRYPOINT_SECONDS = Histogram("caseflow_entrypoint_seconds", "time a topic's use case took for one batch",
                               ["entrypoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CONSUMER_LAG = Gauge("caseflow_consumer_lag", "records behind the partition's high watermark",
                     ["service", "topic", "partition"])
EVENT_AGE = Histogram("caseflow_event_age_seconds", "now minus occurred_at when dispatch applies an event",
                      ["service"], buckets=(1, 5, 30, 60, 300, 1800, 3600, 86400, 604800))
INTAKE_VERDICTS = Counter("caseflow_intake_events_total", "events received by intake, by verdict", ["verdict"])
ALERTS_RAISED = Counter("caseflow_alerts_raised_total", "alerts raised (new alert ids)", ["type", "level", "unit"])
HTTP_REQUESTS = Counter("caseflow_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram("caseflow_http_request_seconds", "HTTP request latency", ["service", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
DB_POOL_IN_USE = Gauge("caseflow_db_pool_in_use", "PostgreSQL connections checked out", ["service", "pool"])
DB_POOL_WAIT_SECONDS = Histogram("caseflow_db_pool_wait_seconds", "time a purpose waited for a pool connection",
                                 ["service", "pool", "purpose"],
                                 buckets=(0.001, 0.01, 0.05, 0.1, 0.5, 1, 3, 10, 30, 60))
DB_WAITS_NOW = Gauge("caseflow_db_long_waits", "waits in progress longer than 3 s: for a pool connection "
                     "(kind pool:<name>) or for a PostgreSQL lock (kind lock)", ["service", "kind"])
DB_LOCK_WAIT_SECONDS = Gauge("caseflow_db_lock_wait_seconds", "the longest current wait of this service's "
                             "statements for a PostgreSQL lock (0 when none waits)", ["service"])
DB_NESTED_ACQUIRES = Counter("caseflow_db_nested_acquires_total", "a task asked for a second connection while "
                             "holding one (can deadlock a small pool)", ["service", "pool", "purpose"])
LOOP_LAG = Gauge("caseflow_event_loop_lag_seconds", "how late the event loop ran a 0.5 s timer", ["service"])
UNIT_ON_TIME_RATE = Gauge("caseflow_unit_on_time_rate", "month-to-date on_time_rate (NaN when due = 0)",
                          ["unit", "class"])
UNIT_OVERDUE_OPEN = Gauge("caseflow_unit_overdue_open", "month-to-date overdue_open", ["unit", "class"])
UNIT_DUE = Gauge("caseflow_unit_due", "month-to-date due", ["unit", "class"])
REGION_RATE = Gauge("caseflow_region_rate", "month-to-date region resolution rates (NaN when no due)",
                    ["region", "rate"])
OUTBOX_PENDING = Gauge("caseflow_outbox_pending", "outbox rows not yet relayed", ["service"])
CALENDAR_FALLBACK = Gauge("caseflow_calendar_fallback", "1 when a year has no holiday schedule (Mon-Fri used)",
                          ["year"])
DELIVERIES = Counter("caseflow_notify_deliveries_total", "alert deliveries finished, by channel and outcome",
                     ["channel", "outcome"])
REDELIVERIES = Counter("caseflow_notify_redeliveries_total",
                       "deliveries interrupted by a crash mid-request and sent again, flagged")
ROBOT_ANSWERS = Counter("caseflow_notify_robot_answers_total",
                        "DingTalk/WeCom answers by outcome (delivered, throttled, too_long, permanent, retry)",
                        ["channel", "outcome"])
CHANNEL_FAILURES = Counter("caseflow_notify_channel_failures_total",
                           "deliveries failed for good, by kind: permanent (bad signature, keyword, removed robot, "
                           "malformed), too_long (refused even alone), gave_up (retries ran out)", ["channel", "kind"])
ROBOT_DEFERRED = Counter("caseflow_notify_robot_deferred_total",
                         "messages held back because their robot had no free slot in its per-minute limit",
                         ["channel"])
