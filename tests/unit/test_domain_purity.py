"""The core reads no clock, environment, files, network or randomness (import-linter checks the rest)."""

from __future__ import annotations

import ast
from pathlib import Path

import caseflow.domain

DOMAIN = Path(caseflow.domain.__file__).parent
FORBIDDEN_MODULES = {"os", "time", "random", "socket", "subprocess", "asyncio", "pathlib", "io", "logging", "secrets"}
FORBIDDEN_CALLS = {"now", "today", "utcnow", "time", "monotonic", "getenv", "open"}


def test_domain_imports_and_calls_nothing_impure() -> None:
    offenders: list[str] = []
    for path in sorted(DOMAIN.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
                if name in FORBIDDEN_CALLS:
                    offenders.append(f"{path.name}:{node.lineno} calls {name}()")
                continue
            else:
                continue
            offenders += [f"{path.name}:{node.lineno} imports {n}" for n in names if n in FORBIDDEN_MODULES]
    assert offenders == []
