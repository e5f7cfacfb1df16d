"""The responsibility table file for auto-dispatch proposals."""

from __future__ import annotations

from pathlib import Path

import yaml

from caseflow.config.schemes import ConfigError
from caseflow.domain.autodispatch import ResponsibilityTable


def load_responsibility(path: Path) -> ResponsibilityTable:
    """`entries: [{major: "01", minor: "05", region: linping, unit: U-HW-LP}, ...]` (region `*` = any)."""
    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    entries = {}
    for i, e in enumerate(raw.get("entries") or []):
        missing = [k for k in ("major", "minor", "unit") if not e.get(k)]
        if missing:
            raise ConfigError(f"{path}: entries[{i}] needs {', '.join(missing)}")
        entries[(str(e["major"]), str(e["minor"]), str(e.get("region", "*")))] = str(e["unit"])
    return ResponsibilityTable(entries)
