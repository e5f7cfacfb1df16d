"""SQL only through parameters: no query text is built from values (f-strings, %, +, .format) anywhere
in the services and libraries, except the reviewed statements listed here, which interpolate no input."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERY_METHODS = {"execute", "executemany", "fetch", "fetchval", "fetchrow", "cursor", "prepare"}
# file -> why its interpolated statement is safe
REVIEWED = {
    "libs/common/caseflow/infra/archive.py": "partition DDL: a name and bounds computed from a date, no input",
    "libs/devstack/caseflow_devstack/postgres_local.py": "test database DDL: a name checked against "
    "[a-z_][a-z0-9_]* first (identifiers cannot be parameters)",
}


def _dynamic(expr: ast.expr) -> bool:
    if isinstance(expr, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in expr.values)
    if isinstance(expr, ast.BinOp):
        return True
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format"


def built_queries(path: Path) -> list[int]:
    """Lines where a query method gets text built from values."""
    return [node.lineno for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS and node.args and _dynamic(node.args[0])]


def test_queries_are_constant_text_with_parameters() -> None:
    sources = [p for folder in ("libs", "services", "tools") for p in (ROOT / folder).rglob("*.py")]
    offenders = {}
    for path in sources:
        rel = path.relative_to(ROOT).as_posix()
        found = built_queries(path)
        if found and rel not in REVIEWED:
            offenders[rel] = found
    assert not offenders, f"query text built from values (use $1 parameters): {offenders}"


def test_the_check_catches_an_f_string_query(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('async def f(conn, unit):\n    await conn.fetch(f"SELECT * FROM t WHERE unit = \'{unit}\'")\n')
    assert built_queries(bad) == [2]
