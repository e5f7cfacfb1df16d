"""The monthly audit on the real pipeline: file, Kafka and archive replays agree; `audit` matches live
and then catches an injected discrepancy with its unit, key and case; a closed month stays closed
after a scheme change; the archive is append-only."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from caseflow.config.units import load_directory
from caseflow.contract.alert import AlertMessage, decode
from caseflow.evaluation.periods import month_bounds
from caseflow.infra.archive import month_of, partition_name
from caseflow.infra.settings import Settings
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.e2e.test_live_equals_replay import converge, post_all
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import KEY, env_of, wait_for
from tests.integration.test_outbox_relay import read_topic
from tests.support.events import ev

pytestmark = pytest.mark.e2e
SHAPE = Shape(cases=300, units=9, regions=3, seed=61)
OPERATOR = "test-operator-key"


@pytest.fixture
def month(tmp_path: Path) -> tuple[Path, Path, list[bytes]]:
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    lines = list(generate(SHAPE))
    (tmp_path / "events.jsonl").write_bytes(b"".join(lines))
    return tmp_path / "events.jsonl", tmp_path / "units.yaml", lines


@pytest.fixture
def stack(settings: Settings, month: tuple[Path, Path, list[bytes]], tmp_path: Path) -> Iterator[Services]:
    env = {**env_of(settings, month[1]), "CASEFLOW_PUBLISH_BULLETIN": "true"}
    services = Services(env, {n: free_port() for n in SERVICES}, tmp_path / "logs")
    try:
        yield services.start(("intake", "dispatch", "scoring"))
    finally:
        services.stop_all()


def caseflow(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "caseflow.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)


def replay_doc(*source: str | Path, units: Path, extra: tuple[str | Path, ...] = ()) -> dict[str, Any]:
    out = caseflow("replay", *source, "--units", units, "--period", "2026-10", *extra)
    assert out.returncode == 0, out.stderr
    doc: dict[str, Any] = orjson.loads(out.stdout)
    return doc


async def late_event_changes_nothing_shown(stack: Services, scoring: str, frozen: dict[str, Any], digest: str) -> None:
    """A late event for the closed month arrives (a new case, dispatched in October): every route that shows
    the month still shows the closed numbers, each with the content hash (`closed_month`; `closed` is a
    count); `recompute=true` shows the change."""
    unit = sorted(frozen["units"])[0]
    late = [ev("reported", "LATE-OCT", "2026-10-20 09:00", event_id="late-r", region="R-00"),
            ev("dispatched", "LATE-OCT", "2026-10-20 10:00", event_id="late-d", unit=unit,
               time_limit={"value": 1, "unit": "working_days"})]
    body = b"".join(orjson.dumps(e) + b"\n" for e in late)
    httpx.post(f"{stack.running['intake'].url}/v1/events:ndjson", content=body, headers=KEY).raise_for_status()
    deadline = time.monotonic() + 60
    while httpx.get(f"{scoring}/v1/units/{unit}/indicators", params={"period": "2026-10", "recompute": "true"},
                    headers=KEY).json()["dispatched"] == frozen["units"][unit]["dispatched"]:
        assert time.monotonic() < deadline, "the late event never reached scoring"
        await asyncio.sleep(0.5)
    month = {"period": "2026-10"}
    shown = {
        "unit": httpx.get(f"{scoring}/v1/units/{unit}/indicators", params=month, headers=KEY).json(),
        "history": httpx.get(f"{scoring}/v1/units/{unit}/history", params={"periods": "2026-10"},
                             headers=KEY).json()["history"][0],
        "regions": httpx.get(f"{scoring}/v1/regions", params=month, headers=KEY).json(),
        "scoreboard": httpx.get(f"{scoring}/v1/scoreboard/suning-2011", params=month, headers=KEY).json(),
        "listing": httpx.get(f"{scoring}/v1/listings/city-department", params=month, headers=KEY).json()}
    assert all(part["closed_month"]["content_hash"] == digest for part in shown.values()), shown
    assert {k: shown["unit"][k] for k in frozen["units"][unit]} == frozen["units"][unit]
    assert {k: shown["history"][k] for k in frozen["units"][unit]} == frozen["units"][unit]
    assert shown["regions"]["regions"] == frozen["regions"]
    assert {r["unit"]: r["score"] for r in shown["scoreboard"]["rows"]} == {
        u: e["scores"]["suning-2011"]["score"] for u, e in frozen["units"].items()}
    assert shown["listing"]["rows"] == frozen["listings"]["city-department"]["rows"]
    live = httpx.get(f"{scoring}/v1/units/{unit}/indicators", params={**month, "recompute": "true"}, headers=KEY).json()
    assert live["closed_month"] is None and live["dispatched"] == frozen["units"][unit]["dispatched"] + 1


async def test_file_kafka_and_archive_replays_agree_and_audit_closes_the_month(
        stack: Services, settings: Settings, month: tuple[Path, Path, list[bytes]], tmp_path: Path) -> None:
    events, units, lines = month
    from_file = replay_doc("--input", events, units=units)
    await asyncio.to_thread(post_all, stack.running["intake"].url, lines)
    await asyncio.to_thread(converge, stack.running["scoring"].url, from_file)
    topic = settings.topic("case-events")
    kafka = ("--from-kafka", "--kafka", settings.kafka_bootstrap_servers, "--topic", topic)
    archive = ("--from-archive", "--database-url", settings.database_url, "--topic", topic)
    assert replay_doc(*kafka, units=units) == from_file
    assert replay_doc(*archive, units=units) == from_file

    scoring = stack.running["scoring"].url
    audit_args = ("audit", *archive, "--units", units, "--period", "2026-10", "--scoring-url", scoring,
                  "--api-key", "test-platform-key")
    audit = caseflow(*audit_args)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "VERDICT: MATCH" in audit.stdout

    close = ("close-month", "2026-10", *archive, "--units", units, "--scoring-url", scoring)
    refused = caseflow(*close, "--api-key", "test-platform-key")
    assert refused.returncode == 2 and "403" in refused.stderr, refused.stdout + refused.stderr
    closed = caseflow(*close, "--api-key", OPERATOR)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    digest = closed.stdout.split("CLOSED: ")[1].split()[0]
    assert digest.startswith("sha256:")
    record = httpx.get(f"{scoring}/v1/months/2026-10", headers=KEY).json()
    assert record["content_hash"] == digest and record["closed_by"] == "operator"
    assert record["document"]["units"] == from_file["units"]
    assert record["document"]["listings"] == from_file["listings"]  # frozen with the rest
    told = await month_notices(settings)  # the 通报, queued with the close: one per configured unit, one ranking
    configured = set(load_directory(units).units)
    assert sorted(n.unit for n in told if n.reason == "month_bulletin") == sorted(configured)
    [ranking] = [n for n in told if n.reason == "month_ranking"]
    assert ranking.recipients == ("command_centre", "supervision") and "2026-10 月考核排名" in ranking.detail
    one = next(n for n in told if n.reason == "month_bulletin")
    assert "2026-10 月考核结果" in one.detail and "分" in one.detail
    published_bulletin(scoring, digest, record["document"])

    # A scheme change: scoring restarts with county-interim reweighted. The closed month does not move.
    schemes = tmp_path / "schemes"
    schemes.mkdir()
    (schemes / "county.yaml").write_text(
        "id: county-interim\nname: 改过的暂行办法\nrank_within: class\n"
        "terms:\n  - {weight: 50, key: disposal_rate}\n  - {weight: 50, key: on_time_rate}\n", "utf-8")
    stack.stop("scoring")
    stack.env["CASEFLOW_SCHEMES_DIR"] = str(schemes)
    stack.start_one("scoring")
    await asyncio.to_thread(stack.wait_ready, ("scoring",))
    served = httpx.get(f"{scoring}/v1/periods/2026-10", headers=KEY).json()
    assert served["closed"]["content_hash"] == digest
    assert served["units"] == from_file["units"]
    listing = httpx.get(f"{scoring}/v1/listings/yuhang-2019", params={"period": "2026-10"}, headers=KEY).json()
    assert listing["rows"] == from_file["listings"]["yuhang-2019"]["rows"]
    recomputed = httpx.get(f"{scoring}/v1/periods/2026-10", params={"recompute": "true"}, headers=KEY).json()
    assert recomputed["units"] != from_file["units"]
    await late_event_changes_nothing_shown(stack, scoring, record["document"], digest)
    again = caseflow(*close, "--api-key", OPERATOR, "--schemes-dir", schemes)
    assert again.returncode == 0 and digest in again.stdout and "is CLOSED" in again.stdout
    assert len(await month_notices(settings)) == len(told)  # closed once, told once
    diff = caseflow(*close, "--api-key", OPERATOR, "--schemes-dir", schemes, "--diff")
    assert diff.returncode == 1 and "scores.county-interim.score" in diff.stdout, diff.stdout + diff.stderr

    # An injected live discrepancy: one on-time disposal vanishes from scoring's copy of a case.
    unit, case_id = await drop_a_disposal(settings.database_url)
    audit = caseflow(*audit_args, "--schemes-dir", schemes)
    assert audit.returncode == 1, audit.stdout + audit.stderr
    lines_out = [line for line in audit.stdout.splitlines() if f"unit {unit}  on_time:" in line]
    assert lines_out and case_id in lines_out[0], audit.stdout
    as_json = caseflow(*audit_args, "--schemes-dir", schemes, "--format", "json")
    found = orjson.loads(as_json.stdout)["differences"]
    assert {(d["id"], d["key"]) for d in found} >= {(unit, "on_time"), (unit, "disposed")}


def published_bulletin(scoring: str, digest: str, document: dict[str, Any]) -> None:
    """The closed month's bulletin, read without any key: the frozen scores, the method, the hash; no case."""
    assert httpx.get(f"{scoring}/v1/bulletin/2026-11").status_code == 404  # not closed: no bulletin
    found = httpx.get(f"{scoring}/v1/bulletin/2026-10")
    assert found.status_code == 200 and found.json()["content_hash"] == digest
    ranked = {(r["id"], row["unit"]): row["score"] for r in found.json()["rankings"] for row in r["rows"]}
    assert ranked == {(s, u): v["score"] for u, row in document["units"].items() for s, v in row["scores"].items()}
    assert all(r["formula"] for r in found.json()["rankings"]) and "C20" not in found.text  # no case id
    assert all(abs(sum(t["points"] for t in row["terms"]) - row["score"]) < 1e-6
               for r in found.json()["rankings"] for row in r["rows"] if row["terms"])
    driver = browser()
    try:
        driver.set_window_size(1280, 900)
        driver.get(f"{scoring}/bulletin/2026-10")
        wait_for(lambda: "内容哈希" in driver.find_element("id", "status").text, timeout=20)
        assert digest in driver.find_element("id", "status").text
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 80, 5000))
        driver.save_screenshot(str(SHOTS / "bulletin-1280.png"))
    finally:
        driver.quit()


async def month_notices(settings: Settings) -> list[AlertMessage]:
    """The month's 通报 on the alerts topic (after the outbox relay has sent them)."""
    found: list[AlertMessage] = []
    for _ in range(40):
        found = [decode(orjson.dumps(m)) for m in await read_topic(settings, settings.topic("alerts"))]
        found = [n for n in found if n.reason in ("month_bulletin", "month_ranking")]
        if found:
            await asyncio.sleep(1)  # the relay sends the whole transaction's rows together
            return [decode(orjson.dumps(m)) for m in await read_topic(settings, settings.topic("alerts"))
                    if m.get("reason") in ("month_bulletin", "month_ranking")]
        await asyncio.sleep(0.5)
    return found


async def drop_a_disposal(url: str) -> tuple[str, str]:
    conn = await asyncpg.connect(url)
    try:
        for row in await conn.fetch("SELECT case_id, snapshot FROM scoring_cases ORDER BY case_id"):
            snap = orjson.loads(row["snapshot"])
            for a in snap["case"]["assignments"]:
                disposals = a["disposals"]
                if (len(disposals) == 1 and disposals[0][1] and disposals[0][0] <= a["deadlines"][-1][1]
                        and a["returned_at"] is None and a["dispatched_at"] >= month_bounds("2026-10")[0]):
                    a["disposals"] = []
                    await conn.execute("UPDATE scoring_cases SET snapshot = $2::jsonb WHERE case_id = $1",
                                       row["case_id"], orjson.dumps(snap).decode())
                    return a["unit"], row["case_id"]
    finally:
        await conn.close()
    raise AssertionError("no on-time disposal to drop")


async def test_archive_is_append_only_and_counts_every_record(
        stack: Services, settings: Settings, month: tuple[Path, Path, list[bytes]]) -> None:
    _, _, lines = month
    await asyncio.to_thread(post_all, stack.running["intake"].url, lines[:600])
    conn = await asyncpg.connect(settings.database_url)
    try:
        accepted = await conn.fetchval("SELECT count(*) FROM intake_accepted")
        for _ in range(100):
            if await conn.fetchval("SELECT count(*) FROM event_archive") == accepted:
                break
            await asyncio.sleep(0.3)
        assert await conn.fetchval("SELECT count(*) FROM event_archive") == accepted > 500
        parts = await conn.fetch("SELECT inhrelid::regclass::text AS p FROM pg_inherits "
                                 "WHERE inhparent = 'event_archive'::regclass")
        # the month the records arrived in (now), not the month the events occurred in
        assert {r["p"] for r in parts} == {partition_name(month_of(int(time.time() * 1000)))}
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE event_archive SET raw = 'x'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM event_archive")
    finally:
        await conn.close()
