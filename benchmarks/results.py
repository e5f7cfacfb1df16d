"""A benchmark's JSON file: its figures, stamped with when, on what commit and on what machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def write_results(out: Path, report: dict[str, Any]) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    stamped = {**report, "commit": commit.stdout.strip(), "date": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": platform.platform(), "cpus": os.cpu_count()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(stamped, indent=2))
    print(f"written to {out}")
