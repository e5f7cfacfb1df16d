"""Settings for every service, from the environment (built once, in each service's bootstrap)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from caseflow.config.schemes import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "CASEFLOW_KAFKA_BOOTSTRAP_SERVERS"))
    database_url: str = Field(
        "postgresql://caseflow@127.0.0.1:5432/caseflow",
        validation_alias=AliasChoices("DATABASE_URL", "CASEFLOW_DATABASE_URL"))
    topic_prefix: str = "caseflow"
    # where spans go (OTLP over HTTP, e.g. an OpenTelemetry Collector at http://otel-collector:4318); empty: none
    otlp_endpoint: str = Field(
        "", validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "CASEFLOW_OTLP_ENDPOINT"))
    partitions: int = 4
    replication_factor: int = 1  # topics' replicas; a province runs 3 brokers and 3 here (runbook "Kafka cluster")
    min_insync_replicas: int = 1  # acks=all waits for this many replicas; 2 with replication_factor 3
    host: str = "127.0.0.1"
    port: int = 8000
    units_file: Path | None = None
    calendar_file: Path | None = None
    time_limits_file: Path | None = None
    rules_file: Path | None = None  # working windows, lateness, code lists, alert timing (config/rules_file.py)
    schemes_dir: Path | None = None
    assessments_dir: Path | None = None  # scoring: the operators' own assessment templates (*.yaml)
    responsibility_file: Path | None = None  # auto-dispatch proposals: (minor code x region) -> unit
    # "name:key" pairs, comma separated: the platforms (or operators) allowed to call the APIs. No
    # default: a service refuses to start without them (`caseflow up` and the tests make their own).
    api_keys: str = ""
    operators: str = "operator"  # caller names (from api_keys) with the operator role
    # caller names (from api_keys) that read everything and change nothing: intake refuses their
    # events, notify their acknowledgements, scoring every change (README "Who may do what")
    readers: str = ""
    # scoring: caller names (from api_keys) who approve assessment records and decide appeals; the other
    # operators are assessors (they record findings, grades, verify bonuses)
    assessment_approvers: str = ""
    assessment_appeal_days: int = 7  # scoring: days after approval in which the assessed party may appeal
    # scoring: hours before an appeal or 核减 window closes that a unit with something left to do is
    # reminded (once); 0 = no reminders
    reminder_hours: float = Field(24.0, ge=0, le=24 * 14)
    # scoring: a month's exemption applications (核减, rules §4a) close at the end of this working day
    # after the month, and their reasons ("code:label" pairs, comma separated)
    exemption_working_days: int = Field(5, ge=1, le=250)
    exemption_reasons: str = ("not_ours:不属于本单位职责,force_majeure:不可抗力,platform_error:平台误派或误操作,"
                              "rework_not_ours:返工非本单位原因,other:其他")
    max_body_bytes: int = 5_000_000
    max_batch_events: int = 5000
    intake_store_timeout: float = 10.0  # intake: Kafka + PostgreSQL must take a request within this, else 503
    # PostgreSQL connections: the work pool (consumers, clocks, outbox relay) and, apart from it, the pool
    # the HTTP API reads with, so that a request never waits behind the consumer or the clock (#36)
    db_pool_size: int = 10
    # scoring: a replica at least this many records behind (or that took this many in the last 5 s)
    # answers a live period read from the document
    # computed at most catch_up_max_age_seconds earlier (refreshed in the background; caseflow_scoring/catching_up.py)
    catch_up_records: int = Field(1000, ge=1)
    # scoring: every open assignment's overdue risk is computed this often and published for the boards;
    # the pre-warning (风险预警, docs/rules.md §8a): one whose risk reaches risk_warning_threshold (0-1)
    # before the ordinary warning is told to its unit once; unset: off
    risk_every_seconds: float = Field(300.0, gt=0)
    risk_warning_threshold: float | None = Field(None, gt=0, le=1)
    catch_up_max_age_seconds: float = Field(5.0, ge=0)
    db_api_pool_size: int = 5
    delivery_timeout_seconds: float = 5.0  # notify: one HTTP attempt
    delivery_give_up_seconds: float = 3600.0  # notify: stop retrying a delivery after this long
    notify_escalate_after_seconds: float = 1800.0  # notify: unacknowledged overdue alerts go up after this
    unit_tokens: str = ""  # notify: "UNIT:token,..." — each unit reads only its own alerts and live feed
    notify_group_seconds: float = 5.0  # notify: later alerts for a receiver within this go out as one message
    # notify: an alert reaching notify more than this after its instant (history resent, downtime) is
    # catching up: shown on the boards, sent to receivers in a digest at most every notify_digest_seconds;
    # scoring sends one raised this long after its instant on the alerts-backlog topic (a fresh one never
    # queues behind them)
    notify_catch_up_seconds: float = 3600.0
    notify_digest_seconds: float = 120.0
    notify_robot_margin_seconds: float = 2.0  # notify: added to a robot's minute (clocks, latency)
    # notify: links in messages. case_url_template: the case on the platform, e.g.
    # "https://cg.example.gov.cn/cases/{case_id}"; public_url: where notify's pages are reached by units
    case_url_template: str = ""
    public_url: str = ""
    # scoring: publish each closed month's bulletin (rankings, method, content hash) without a key (公开)
    publish_bulletin: bool = False
    # scoring: where units reach scoring's pages (a unit's standing), for the links in notices; "" = no link
    scoring_url: str = ""
    # links in robot messages carry a unit-scoped token signed with this secret, valid link_days
    # (caseflow.access.links; revoked per unit with POST /v1/units/{id}/links/revoke); "" = plain links
    link_secret: str = ""
    link_days: int = Field(7, ge=1, le=90)
    # 省级监管平台数据联网 (docs/runbook.md "A province"): a city's intake copies its case events, without
    # personal data, onto the province-feed topic and its scoring each closed month onto closed-months,
    # which MirrorMaker 2 takes to the province ...
    province_feed: bool = False
    # ... and the province's intake reads every city's mirrored feed ("<city>.<prefix>.province-feed"),
    # its scoring every city's closed months
    city_feeds: bool = False

    def standing_link(self, unit: str) -> str:
        from urllib.parse import quote

        return f"{self.scoring_url.rstrip('/')}/units/{quote(unit, safe='')}/standing" if self.scoring_url else ""
    consumer_batch: int = 200  # records per consumed batch (one transaction); smaller batches, lower latency
    consumer_fetch_min_bytes: int = 16384  # a fetch waits for this much data ...
    consumer_fetch_wait_ms: int = 20  # ... or this long, whichever comes first

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}.{name}"

    def unit_token_map(self) -> dict[str, str]:
        """unit -> its token (CASEFLOW_UNIT_TOKENS)."""
        pairs = (item.split(":", 1) for item in self.unit_tokens.split(",") if ":" in item)
        return {unit.strip(): token.strip() for unit, token in pairs}

    def exemption_reason_map(self) -> dict[str, str]:
        """code -> label (CASEFLOW_EXEMPTION_REASONS)."""
        pairs = (item.split(":", 1) for item in self.exemption_reasons.split(",") if item.strip())
        return {code.strip(): (label.strip() if label else code.strip()) for code, label in
                (pair if len(pair) == 2 else (pair[0], "") for pair in pairs)}

    def names(self, setting: str) -> set[str]:
        """The caller names listed in a comma-separated setting (operators, assessment_approvers)."""
        return {name.strip() for name in str(getattr(self, setting)).split(",") if name.strip()}

    def keys(self) -> dict[str, str]:
        """key -> caller name."""
        pairs = (item.split(":", 1) for item in self.api_keys.split(",") if ":" in item)
        return {key.strip(): name.strip() for name, key in pairs}


TOPICS = ("intake-raw", "case-events", "case-snapshots", "dead-letter", "alerts", "dispatch-proposals",
          "province-feed", "closed-months", "alerts-backlog", "case-risks")


def service_settings(port: int | None) -> Settings:
    """A service's settings, built once at its start; refused (ConfigError: the CLI says it in one line
    and exits 2) when no API key is configured, rather than serving with a key everybody knows."""
    settings = Settings(port=port) if port else Settings()
    if settings.min_insync_replicas > settings.replication_factor:
        raise ConfigError(f"CASEFLOW_MIN_INSYNC_REPLICAS={settings.min_insync_replicas} is more than "
                          f"CASEFLOW_REPLICATION_FACTOR={settings.replication_factor}: no write could succeed; "
                          "use 2 with 3 replicas")
    if not settings.keys():
        raise ConfigError("CASEFLOW_API_KEYS is not set: give the callers' keys as name:key pairs, e.g. "
                          "CASEFLOW_API_KEYS='platform:<secret>,operator:<secret>' (from a Secret in production; "
                          "`caseflow up` makes its own for a local stack)")
    return settings

