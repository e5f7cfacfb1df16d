"""Exemptions (核减, rules §4a) in the offline tools: an auditor recomputes a month with the command centre's
decisions without its database, from the export `GET /v1/exemptions/{period}/export` gives:

    {"period": "2026-10", "exemptions": [{"id": "E-1", "case_id": "C1", "unit_id": "U-HW-LP",
      "dispatched_at": "2026-10-08T09:30:00+08:00", "kind": "on_time", "status": "approved", "reason": "…"}]}

Only `approved` entries count; an entry naming no assignment changes nothing (the rule, not this file)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import msgspec

from caseflow.config.schemes import ConfigError
from caseflow.domain.exemptions import KINDS, NONE, Exemptions, approved
from caseflow.evaluation.document import Applied
from caseflow.evaluation.periods import PeriodError, parse_instant

STATUSES = ("approved", "rejected", "pending")


class Entry(msgspec.Struct, forbid_unknown_fields=False):
    case_id: str
    unit_id: str
    dispatched_at: str
    kind: str
    status: str
    id: str = ""
    reason: str = ""
    files: list[str] = msgspec.field(default_factory=list)
    decided_by: str = ""
    decision: str = ""


class ExportFile(msgspec.Struct, forbid_unknown_fields=False):
    period: str
    exemptions: list[Entry]


def add_exemption_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--exemptions", type=Path, metavar="FILE",
                   help="the period's exemptions (核减) as exported by scoring (GET /v1/exemptions/PERIOD/export): "
                        "the approved ones apply (rules §4a); audit and close-month read scoring's export "
                        "when it is not given")


def exemptions_from(args: argparse.Namespace) -> Exemptions:
    return read_exemptions(args.exemptions) if getattr(args, "exemptions", None) else NONE


def applied_from(args: argparse.Namespace) -> list[Applied] | None:
    """Every application of the export file (the document's `exemptions` part), None without one."""
    return read_applications(args.exemptions) if getattr(args, "exemptions", None) else None


def read_exemptions(path: Path) -> Exemptions:
    """The approved exemptions of an export file; ConfigError names the file, the entry and the field."""
    return approved_of(read_applications(path))


def read_applications(path: Path) -> list[Applied]:
    """Every application of an export file, checked; ConfigError names the file, the entry and the field."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read --exemptions {path}: {exc.strerror}") from exc
    return parse_export(data, f"--exemptions {path}")


def parse_export(data: bytes, where: str) -> list[Applied]:
    """Every application of an export (a file, or scoring's answer), checked; ConfigError names `where`,
    the entry and the field."""
    try:
        found = msgspec.json.decode(data, type=ExportFile)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}: {exc} (expected the export of GET /v1/exemptions/PERIOD/export)") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{where}: not JSON: {exc}") from exc
    out = []
    for n, entry in enumerate(found.exemptions):
        at_entry = f"{where}: exemptions[{n}]" + (f" ({entry.id})" if entry.id else "")
        if entry.kind not in KINDS:
            raise ConfigError(f"{at_entry}.kind {entry.kind!r}: expected one of {', '.join(KINDS)}")
        if entry.status not in STATUSES:
            raise ConfigError(f"{at_entry}.status {entry.status!r}: expected one of {', '.join(STATUSES)}")
        try:
            at = parse_instant(entry.dispatched_at, "dispatched_at")
        except PeriodError as exc:
            raise ConfigError(f"{at_entry}.dispatched_at: {exc}") from exc
        name = entry.id or f"{entry.case_id}/{entry.unit_id}/{entry.dispatched_at}/{entry.kind}"
        out.append(Applied(name, entry.case_id, entry.unit_id, at, entry.kind, entry.status, entry.reason,
                           tuple(entry.files), entry.decided_by, entry.decision))
    return out


def approved_of(applied: Sequence[Applied]) -> Exemptions:
    return approved((a.case_id, a.unit_id, a.dispatched_at, a.kind) for a in applied if a.status == "approved")
