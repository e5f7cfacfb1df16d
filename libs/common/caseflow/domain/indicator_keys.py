"""The names of the indicators (rules §4 and §5): the counts and rates of a unit, the keys of a region,
and the sources that count as discovery."""

from __future__ import annotations

# The contract's 督办 reasons: `supervised_<reason>` counts, per unit, the assignments whose case got
# a supervised event with that reason (a case supervised for two reasons counts under both).
SUPERVISION_REASONS = ("leader_instruction", "discipline", "higher_level", "media", "major_impact",
                       "major_event", "other")
UNIT_COUNTS = (
    "dispatched", "returned", "due", "disposed", "on_time", "late_disposed", "overdue_open",
    "pending", "reworked", "closed", "closed_on_time", "extended", "suspended", "supervised",
    *(f"supervised_{reason}" for reason in SUPERVISION_REASONS),
    "repeat", "visits", "satisfied", "basically_satisfied", "exempted",
)
UNIT_RATES = (
    "disposal_rate", "on_time_rate", "close_rate", "on_time_close_rate", "rework_rate",
    "intact_rate", "repeat_rate", "extension_rate", "satisfaction_rate", "workload_ratio",
)
# Rates that compare a unit with every unit of the deployment (workload_ratio: with the busiest): in a
# province, with every unit of every city, so a city's own and the province's differ by design.
RELATIVE_RATES = frozenset({"workload_ratio"})
REGION_KEYS = (
    "reported", "filed", "collector_filing_rate", "active_discovery_rate",
    "resolution_rate", "timely_resolution_rate", "on_time_rate",
)
ACTIVE_SOURCES = frozenset({"collector", "video"})
DISCOVERY_SOURCES = frozenset({"collector", "video", "public", "supervision", "leader"})
