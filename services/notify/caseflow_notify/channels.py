"""Where alerts go (pure): each unit's channels from the units file (`config.units_file` documents
its keys), routed by recipient role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.config.schemes import ConfigError
from caseflow.config.units_file import ChannelSpec, UnitsFile, parse_units_file
from caseflow_notify.grouping import QuietHours
from caseflow_notify.kinds.base import Channel
from caseflow_notify.kinds.registry import KINDS


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
    region_names: Mapping[str, str] = field(default_factory=dict)

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


def routing_of(spec: UnitsFile, where: str = "units file") -> Routing:
    """Each configured channel checked by its kind: a ConfigError names the channel, what is wrong and
    the kinds notify knows."""
    def chans(specs: tuple[ChannelSpec, ...], place: str) -> tuple[Channel, ...]:
        out = tuple(Channel(c.type, c.url, c.secret, c.keyword, c.to) for c in specs)
        for i, channel in enumerate(out):
            kind = KINDS.get(channel.type)
            if kind is None:
                raise ConfigError(f"{where}: {place}[{i}].type: unknown channel type {channel.type!r}; "
                                  f"notify knows {', '.join(sorted(KINDS))}")
            problems = kind.problems(channel)
            if problems:
                raise ConfigError(f"{where}: {place}[{i}] ({channel.type}): {'; '.join(problems)}")
        return out

    return Routing(
        unit_channels={u.id: chans(u.channels, f"units ({u.id}).channels") for u in spec.units},
        leadership_channels={u.id: chans(u.leadership_channels, f"units ({u.id}).leadership_channels")
                             for u in spec.units},
        command_centre=chans(spec.command_centre.channels, "command_centre.channels"),
        supervision=chans(spec.supervision.channels, "supervision.channels"),
        quiet_hours={u.id: QuietHours(u.quiet_hours.start, u.quiet_hours.end) for u in spec.units if u.quiet_hours},
        unit_names={u.id: u.display_name for u in spec.units},
        region_names={r.id: r.name or r.id for r in spec.regions},
    )


def parse_routing(raw: Mapping[str, Any], where: str = "units file") -> Routing:
    """Routing from a units file's content (a ConfigError names the key and the fix)."""
    return routing_of(parse_units_file(dict(raw), where), where)
