"""The code version recorded with every closed month: the package version, plus the git commit when
running from a checkout (with `-dirty` when it has uncommitted changes)."""

from __future__ import annotations

import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


@cache
def code_version() -> str:
    try:
        base = version("caseflow")
    except PackageNotFoundError:
        base = "0+unknown"
    root = Path(__file__).resolve().parents[3]
    if not (root / ".git").exists():
        return base
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+g{sha}{'-dirty' if dirty else ''}"
