"""A benchmark's JSON file: its figures, stamped with when, by what command, on what commit and on what
machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def write_results(out: Path, report: dict[str, Any]) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    command = " ".join([f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    stamped = {**report, "commit": commit.stdout.strip(), "date": datetime.now(UTC).isoformat(timespec="seconds"),
               "command": report.get("command", command), "machine": platform.platform(), "cpus": os.cpu_count()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(stamped, indent=2, ensure_ascii=False), "utf-8")
    print(f"written to {out}")
