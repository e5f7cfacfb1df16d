"""The units file, one model for every service: the contract's shape (units with id, name and class;
regions) plus the keys caseflow adds. Unknown keys are ignored, as the contract asks.

```yaml
units:
  - id: U-HW-LP                  # required
    name: 临平街道环卫所           # default: the id
    class: 1                     # required: 1, 2 or 3 (一类/二类/三类); ranking groups
    targets: {on_time_rate: 0.95}          # scoring: month-to-date target (supervision alert below it)
    channels:                              # notify: the unit's own receivers
      - {type: dingtalk, url: "…?access_token=…", secret: "SEC…", keyword: "城管"}
      - {type: wecom, url: "…?key=…"}
      - {type: webhook, url: "https://…", secret: "…"}
      - {type: feishu, url: "…/bot/v2/hook/…", secret: "…", keyword: "城管"}
      - {type: sms, url: "https://<gateway>/send", secret: "<API key>", to: "13800000000"}
    leadership_channels: [...]             # notify: level-2 alerts
    quiet_hours: {start: "22:00", end: "07:00"}   # notify: hold alerts below level 3 meanwhile
    trial_until: "2026-12"                 # listings: 试运行 through this month (schemes that honour trials)
regions:
  - {id: linping, name: 临平街道, trial_until: "2027-03"}
command_centre: {channels: [...]}          # notify: level 2, supervision, failed channels
supervision: {channels: [...]}             # notify: level 3
```
"""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from caseflow.config.schemes import ConfigError

TRIAL_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ChannelSpec(_Model):
    # Which kinds exist is notify's to say (its kinds registry checks this at start, naming the known ones).
    type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    url: str = Field(min_length=1)
    secret: str = ""  # webhook: HMAC key; DingTalk/Feishu: the robot's signing secret; SMS: the gateway's key
    keyword: str = ""  # a robot's security keyword, added to every message
    to: str = ""  # SMS: the mobile number


class QuietHoursSpec(_Model):
    start: time
    end: time


class TargetsSpec(_Model):
    on_time_rate: float | None = Field(None, ge=0, le=1)


class UnitSpec(_Model):
    id: str = Field(min_length=1)
    name: str | None = None
    unit_class: Literal[1, 2, 3] = Field(alias="class")
    targets: TargetsSpec = TargetsSpec()
    channels: tuple[ChannelSpec, ...] = ()
    leadership_channels: tuple[ChannelSpec, ...] = ()
    quiet_hours: QuietHoursSpec | None = None
    trial_until: str | None = Field(None, pattern=TRIAL_MONTH)

    @property
    def display_name(self) -> str:
        return self.name or self.id


class RegionSpec(_Model):
    id: str = Field(min_length=1)
    name: str | None = None
    trial_until: str | None = Field(None, pattern=TRIAL_MONTH)


class ReceiversSpec(_Model):
    channels: tuple[ChannelSpec, ...] = ()


class UnitsFile(_Model):
    units: tuple[UnitSpec, ...] = ()
    regions: tuple[RegionSpec, ...] = ()
    command_centre: ReceiversSpec = ReceiversSpec()
    supervision: ReceiversSpec = ReceiversSpec()


def parse_units_file(raw: Any, where: str) -> UnitsFile:
    """The file's content, or a ConfigError naming the file, the key and the fix."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with `units:` and `regions:`")
    try:
        return UnitsFile.model_validate(_nulls_as_empty(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{where}: {_place(raw, err['loc'])}: {_fix(err)}") from None


def _nulls_as_empty(raw: dict[str, Any]) -> dict[str, Any]:
    """`units:` or `channels:` written with nothing after them mean none (YAML gives null)."""
    out = {k: v for k, v in raw.items() if not (k in ("units", "regions") and v is None)}
    for key in ("command_centre", "supervision"):
        if out.get(key) is None:
            out.pop(key, None)
    return out


def _place(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """`units[3] (U-HW-LP).channels[0].type`: the path to the wrong key, with the unit's id."""
    parts: list[str] = []
    node: Any = raw
    for step in loc:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else {}
            if isinstance(node, dict) and node.get("id") and len(parts) == 1:
                parts[-1] += f" ({node['id']})"
        else:
            parts.append(str(step))
            node = node.get(step, {}) if isinstance(node, dict) else {}
    return ".".join(parts)


def _fix(err: Any) -> str:
    loc, kind = err["loc"], err["type"]
    if loc[-1] == "class":
        return f"`class` must be 1, 2 or 3 (一类/二类/三类), got {err.get('input')!r}"
    if loc[-1] == "type" and "channels" in str(loc):
        return (f"a channel needs `type`, a lowercase kind such as dingtalk (notify names those it knows), "
                f"got {err.get('input')!r}")
    if loc[-1] == "on_time_rate":
        return f"a fraction between 0 and 1, e.g. 0.95 for 95%, got {err.get('input')!r}"
    if loc[-1] == "trial_until":
        return f'the last month of the trial, quoted, e.g. "2026-12"; got {err.get("input")!r}'
    if kind == "missing":
        return f"`{loc[-1]}` is required"
    if loc[-2:-1] == ("quiet_hours",) or loc[-1] in ("start", "end"):
        return 'expected {start: "22:00", end: "07:00"}'
    return f"{err['msg']} (got {err.get('input')!r})"
