"""Where the repository, its caches and its runtime state live."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The checkout this package runs from (editable install), or CASEFLOW_HOME."""
    env = os.environ.get("CASEFLOW_HOME")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "deploy" / "kafka" / "pom.xml").exists():
            return parent
    raise RuntimeError("cannot find the caseflow checkout (deploy/kafka/pom.xml); set CASEFLOW_HOME")


def cache_dir() -> Path:
    path = repo_root() / ".cache"
    path.mkdir(exist_ok=True)
    return path


def var_dir() -> Path:
    path = repo_root() / "var"
    path.mkdir(exist_ok=True)
    return path
