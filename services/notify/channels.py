"""Where alerts go (pure): each unit's channels from the units file, routed by recipient role.

Units file keys notify reads (the contract allows keys of our own):
    units:
      - id: U-HW-LP
        quiet_hours: {start: "22:00", end: "07:00"}   # local time; level-3 alerts still go out
        channels: [{type: webhook, url: "https://…", secret: "…"},
                   {type: dingtalk, url: "…?access_token=…", secret: "SEC…", keyword: "城管"}]
        leadership_channels: [{type: wecom, url: "…"}]
    command_centre: {channels: [...]}
    supervision: {channels: [...]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from caseflow.notify.grouping import QuietHours

CHANNEL_TYPES = ("webhook", "dingtalk", "wecom")


@dataclass(frozen=True, slots=True)
class Channel:
    type: str
    url: str
    secret: str = ""
    keyword: str = ""  # a DingTalk robot's security keyword: every message carries it


@dataclass(frozen=True, slots=True)
class Receiver:
    """One destination of one alert: who (unit/role) and how (channel)."""

    id: str  # e.g. "U-HW-LP:unit:0", "command_centre:0"
    channel: Channel


@dataclass(frozen=True)
class Routing:
    unit_channels: Mapping[str, tuple[Channel, ...]]
    leadership_channels: Mapping[str, tuple[Channel, ...]]
    command_centre: tuple[Channel, ...] = ()
    supervision: tuple[Channel, ...] = ()
    quiet_hours: Mapping[str, QuietHours] = field(default_factory=dict)
    unit_names: Mapping[str, str] = field(default_factory=dict)

    def channel_of(self, receiver_id: str) -> Channel | None:
        """The channel a stored delivery points at (None once the configuration dropped it)."""
        owner, _, index = receiver_id.rpartition(":")
        if owner == "command_centre":
            chans: tuple[Channel, ...] = self.command_centre
        elif owner == "supervision":
            chans = self.supervision
        else:
            unit, _, role = owner.rpartition(":")
            chans = (self.unit_channels if role == "unit" else self.leadership_channels).get(unit, ())
        i = int(index) if index.isdigit() else -1
        return chans[i] if 0 <= i < len(chans) else None

    def receivers(self, unit: str, recipients: tuple[str, ...] | list[str]) -> list[Receiver]:
        out: list[Receiver] = []
        for role in recipients:
            if role == "unit":
                chans, prefix = self.unit_channels.get(unit, ()), f"{unit}:unit"
            elif role == "leadership":
                chans, prefix = self.leadership_channels.get(unit, ()), f"{unit}:leadership"
            elif role == "command_centre":
                chans, prefix = self.command_centre, "command_centre"
            else:
                chans, prefix = self.supervision, "supervision"
            out += [Receiver(f"{prefix}:{i}", c) for i, c in enumerate(chans)]
        return out


class ChannelError(ValueError):
    pass


def _channels(raw: Any, where: str) -> tuple[Channel, ...]:
    out = []
    for i, c in enumerate(raw or []):
        if not isinstance(c, dict) or c.get("type") not in CHANNEL_TYPES or not c.get("url"):
            raise ChannelError(f"{where}[{i}]: a channel needs `type` ({', '.join(CHANNEL_TYPES)}) and `url`")
        out.append(Channel(str(c["type"]), str(c["url"]), str(c.get("secret", "")), str(c.get("keyword", ""))))
    return tuple(out)


def parse_routing(raw: Mapping[str, Any]) -> Routing:
    units = raw.get("units") or []
    return Routing(
        unit_channels={str(u["id"]): _channels(u.get("channels"), f"units[{u['id']}].channels") for u in units},
        leadership_channels={str(u["id"]): _channels(u.get("leadership_channels"),
                                                     f"units[{u['id']}].leadership_channels") for u in units},
        command_centre=_channels((raw.get("command_centre") or {}).get("channels"), "command_centre.channels"),
        supervision=_channels((raw.get("supervision") or {}).get("channels"), "supervision.channels"),
        quiet_hours={str(u["id"]): _quiet(u["quiet_hours"], f"units[{u['id']}].quiet_hours")
                     for u in units if u.get("quiet_hours")},
        unit_names={str(u["id"]): str(u.get("name") or u["id"]) for u in units},
    )


def _quiet(raw: Any, where: str) -> QuietHours:
    try:
        return QuietHours(time.fromisoformat(str(raw["start"])), time.fromisoformat(str(raw["end"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ChannelError(f'{where}: expected {{start: "22:00", end: "07:00"}}') from exc
