"""What-if on scoring's API (#35), on real PostgreSQL: a draft equal to the adopted rules changes nothing
and its adopted side is the period's document to the point (manual evaluations included); a moved weight
changes that scheme only; a closed month is compared with what it signed, and a case that arrived after
the close is named as a difference; bad drafts are refused naming the file and the fix; units may not."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path

from fastapi.testclient import TestClient

from caseflow.config.schemes import load_schemes, scheme_versions
from caseflow.contract import snapshot
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra import db, topics
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_scoring.main import bootstrap as scoring_app
from caseflow_scoring.store.cases import save_on_case_snapshots

MONTH = "2026-10"
OPERATOR, READER = {"X-API-Key": "operator-key"}, {"X-API-Key": "reader-key"}
ADOPTED = (resources.files("caseflow.config") / "schemes" / "standard-department.yaml").read_text("utf-8")


async def load(settings: Settings, rules: Rules, shape: Shape) -> None:
    book = CaseBook(rules)
    for seq, line in enumerate(generate(shape)):
        book.add_raw(line.rstrip(b"\n"), seq, month_bounds(MONTH)[1])
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1) for s in book.cases()])
    finally:
        await pool.close()


def scores_of(doc: dict, scheme: str) -> dict[str, float]:  # type: ignore[type-arg]
    return {u: row["scores"][scheme]["score"] for u, row in doc["units"].items() if scheme in row.get("scores", {})}


def compared(answer: dict, scheme: str, side: str) -> dict[str, float]:  # type: ignore[type-arg]
    found = next(s for s in answer["schemes"] if s["id"] == scheme)
    return {u["unit"]: u[side]["score"] for u in found["units"] if u[side]["score"] is not None}


async def test_drafts_against_the_live_month_and_the_closed_one(settings: Settings, rules: Rules,
                                                                tmp_path: Path) -> None:
    await topics.ensure_topics(settings)
    start = datetime.fromtimestamp(month_bounds(MONTH)[0] / 1000, SHANGHAI)
    await load(settings, rules, Shape(cases=240, units=6, regions=2, seed=21, start=start))
    (tmp_path / "units.yaml").write_text(units_yaml(Shape(units=6, regions=2)), "utf-8")
    config = settings.model_copy(update={
        "api_keys": "operator:operator-key,reader:reader-key", "operators": "operator", "readers": "reader",
        "unit_tokens": "U-000:u0-token", "units_file": tmp_path / "units.yaml"})
    with TestClient(scoring_app(config)) as scoring:
        def whatif(files: dict[str, str], period: str = MONTH, who: dict[str, str] = READER):  # type: ignore[no-untyped-def]
            return scoring.post("/v1/whatif", json={"period": period, "schemes": files}, headers=who)

        # who: the centre's people, a reader too (nothing changes); not a unit, not a stranger
        assert whatif({"d.yaml": ADOPTED}, who={"Authorization": "Bearer u0-token"}).status_code == 403
        assert whatif({"d.yaml": ADOPTED}, who={}).status_code == 401
        ids = {s["id"] for s in scoring.get("/v1/whatif/schemes", headers=READER).json()["schemes"]}
        assert {"standard-department", "suning-2011"} <= ids

        # bad drafts: refused, naming the file and the fix
        for files, said in (({}, "at least one draft"), ({"a.yaml": "id: [x"}, "a.yaml: not YAML"),
                            ({"b.yaml": "name: no id"}, "b.yaml: a scheme file is a mapping with at least `id`"),
                            ({"c.yaml": ADOPTED, "d.yaml": ADOPTED}, "d.yaml: scheme id 'standard-department'")):
            answer = whatif(files)
            assert answer.status_code == 422 and said in answer.json()["detail"], (files, answer.text)
        assert whatif({"d.yaml": ADOPTED}, period="2026-13").status_code == 422
        assert whatif({f"{n}.yaml": "x" * 20_000 for n in range(15)}).status_code == 413

        # a manual evaluation counts on both sides, as in the month's document
        assert scoring.put(f"/v1/evaluations/{MONTH}/U-001", json={"other": 0.4, "note": "测试"},
                           headers=OPERATOR).status_code == 200
        live = scoring.get(f"/v1/periods/{MONTH}", headers=READER).json()
        same = whatif({"standard-department.yaml": ADOPTED}).json()
        assert all(s["status"] == "same" for s in same["schemes"]) and same["closed"] is None
        for scheme in ("standard-department", "suning-2011"):
            assert compared(same, scheme, "adopted") == scores_of(live, scheme) == compared(same, scheme, "draft")
        assert "<svg" not in same["html"] and "草案未改动此办法" in same["html"]

        moved = whatif({"mine.yaml": ADOPTED.replace("{weight: 30, key: on_time_rate}",
                                                     "{weight: 50, key: on_time_rate}")}).json()
        assert [s["id"] for s in moved["schemes"] if s["status"] != "same"] == ["standard-department"]
        assert compared(moved, "standard-department", "adopted") == scores_of(live, "standard-department")
        assert compared(moved, "standard-department", "draft") != scores_of(live, "standard-department")
        assert "<svg" in moved["html"]

        # close the month, then a case of the month arrives late: the comparison says so
        closing = {"document": scoring.get(f"/v1/periods/{MONTH}?recompute=true", headers=READER).json(),
                   "scheme_versions": scheme_versions(load_schemes()), "replay_code_version": "test",
                   "source": "test"}
        closed = scoring.post(f"/v1/months/{MONTH}/close", json=closing, headers=OPERATOR)
        assert closed.status_code == 201, closed.text
        sealed = closed.json()["content_hash"]
        after = whatif({"mine.yaml": ADOPTED}).json()
        assert after["closed"] == sealed and after["differences"] == [] and "与封存一致" in after["html"]
        quarter = whatif({"mine.yaml": ADOPTED}, period="2026-Q4").json()
        assert quarter["months_closed"] == [MONTH] and quarter["closed"] is None

        # (other case ids: the generator names cases by its shape's year and month, the dates follow `start`)
        await load(settings, rules, Shape(cases=40, units=6, regions=2, seed=22, start=start, year=2027))
        late = whatif({"mine.yaml": ADOPTED}).json()
        assert late["closed"] == sealed and late["differences"] and "与封存不同" in late["html"]
        assert scoring.get("/whatif").status_code == 200
