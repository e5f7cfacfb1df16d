"""The rules file: the rulebook's settings that are neither calendar, time limits, schemes nor units.
Every key is optional; a missing key keeps the rulebook's default. `CASEFLOW_RULES_FILE`, or
`--rules-file` on the command line; every service and replay must read the same file.

```yaml
working_windows: ["08:00-12:00", "14:00-18:00"]  # rules §3: local time, in order, not overlapping
lateness_minutes: 10                            # rules §2: how late an event of a case may arrive
engineering_codes: ["05/03", "05/04"]           # rules §4: major/minor whose extensions are not counted
engineering_subtypes:                           # rules §4: the seed's engineering subtypes, mapped to the city's codes
  道路破损: "01/12"                              # (names: config/engineering.py; an unknown name is refused)
  树池: ["02/31", "02/32"]
repeat_excluded_codes: ["02/01"]                # rules §6: event codes that are never repeat cases
alerts:                                         # rules §8
  warning_fraction: 0.8                         # deadline_warning once this much of the limit elapsed
  reminder_interval_hours: 4                    # overdue reminders, wall time
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from caseflow.config.engineering import mapped_codes
from caseflow.config.schemes import ConfigError
from caseflow.domain.calendar import HOUR, MINUTE
from caseflow.domain.rules import AlertPolicy

_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_CODE = re.compile(r"^([0-9A-Za-z]+)/([0-9A-Za-z]+)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertsSpec(_Model):
    warning_fraction: float = Field(0.8, gt=0, lt=1)
    reminder_interval_hours: float = Field(4.0, gt=0, le=24 * 7)


class RulesFile(_Model):
    working_windows: tuple[str, ...] = ("08:00-12:00", "14:00-18:00")
    lateness_minutes: int = Field(10, ge=0, le=24 * 60)
    engineering_codes: tuple[str, ...] = ()
    engineering_subtypes: dict[str, str | list[str]] = Field(default_factory=dict)
    repeat_excluded_codes: tuple[str, ...] = ("02/01",)
    alerts: AlertsSpec = AlertsSpec()

    @field_validator("working_windows")
    @classmethod
    def _windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("give at least one window, e.g. [\"08:00-12:00\", \"14:00-18:00\"]")
        windows_ms(value)
        return value

    @field_validator("engineering_codes", "repeat_excluded_codes")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes_of(value)
        return value

    @field_validator("engineering_subtypes")
    @classmethod
    def _subtypes(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        codes_of(mapped_codes(value))
        return value

    def all_engineering_codes(self) -> tuple[str, ...]:
        """`engineering_codes` and the codes the named subtypes are mapped to."""
        return (*self.engineering_codes, *mapped_codes(self.engineering_subtypes))


def windows_ms(windows: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for text in windows:
        m = _WINDOW.match(str(text).strip())
        if not m:
            raise ValueError(f"{text!r} is not a window; write \"HH:MM-HH:MM\", e.g. \"08:00-12:00\"")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        start, end = h1 * HOUR + m1 * MINUTE, h2 * HOUR + m2 * MINUTE
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or end > 24 * HOUR or start >= end:
            raise ValueError(f"{text!r}: a window starts before it ends, within one day (00:00-24:00)")
        if out and start < out[-1][1]:
            raise ValueError(f"{text!r} starts before the window before it ends; list windows in order")
        out.append((start, end))
    return tuple(out)


def codes_of(codes: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    out = set()
    for text in codes:
        m = _CODE.match(str(text).strip())
        if not m:
            raise ValueError(f"{text!r} is not a code; write major/minor as the platform sends them, e.g. \"02/01\"")
        out.add((m.group(1), m.group(2)))
    return frozenset(out)


def alert_policy(spec: RulesFile) -> AlertPolicy:
    return AlertPolicy(warning_fraction=spec.alerts.warning_fraction,
                       repeat_interval=round(spec.alerts.reminder_interval_hours * HOUR))


def read_rules_file(path: Path | None) -> RulesFile:
    """The rules file at `path` (None: every default), or a ConfigError naming the file, key and fix."""
    if path is None:
        return RulesFile()
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the rules file {path}: {exc.strerror}; fix CASEFLOW_RULES_FILE") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_rules_file(raw, str(path))


def parse_rules_file(raw: Any, where: str) -> RulesFile:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings (working_windows, alerts, ...)")
    try:
        return RulesFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        place = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            known = ", ".join(RulesFile.model_fields)
            raise ConfigError(f"{where}: {place}: not a setting of the rules file (known: {known})") from None
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: {place}: {message} (got {err.get('input')!r})") from None
