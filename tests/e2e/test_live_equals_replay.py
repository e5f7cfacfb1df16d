"""The live pipeline equals replay on a generated month, also when dispatch and scoring are killed -9.
Both sides run on configuration that is not the default (a rules file, a cross-month scheme, a region on
trial), so a setting that one side ignored would show."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow.config.rules import load_rules
from caseflow.config.schemes import load_schemes
from caseflow.config.units import load_directory
from caseflow.domain.indicators import Period
from caseflow.evaluation.document import numbers_document
from caseflow.evaluation.evaluate import Numbers
from caseflow.evaluation.periods import named_bounds, parse_instant
from caseflow.infra.settings import Settings
from caseflow.replay.engine import replay
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.e2e.test_walking_skeleton import KEY, env_of

pytestmark = pytest.mark.e2e
SHAPE = Shape(cases=400, units=10, regions=3, seed=99)


RULES = """working_windows: ["08:30-12:00", "13:30-17:30"]
lateness_minutes: 15
engineering_codes: ["01/05"]
repeat_excluded_codes: []
alerts: {warning_fraction: 0.75, reminder_interval_hours: 2}
"""
CROSS = """id: county-interim-cross
name: 暂行办法（跨月条款）
periods: [month, year]
rank_within: class
cross_month: true
satisfied_includes_basically: true
terms:
  - {weight: 70, key: disposal_rate}
  - {weight: 30, key: on_time_rate}
  - {weight: 9, key: workload_ratio}
  - {weight: -20, ratio: [reworked, disposed], max_points: 20}
  - {weight: 10, key: satisfaction_rate}
"""


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], Path, dict]:  # type: ignore[type-arg]
    d = tmp_path_factory.mktemp("live")
    units = d / "units.yaml"
    units.write_text(units_yaml(SHAPE).replace("  - id: R-01\n", '  - id: R-01\n    trial_until: "2026-10"\n'),
                     "utf-8")
    (d / "schemes").mkdir()
    (d / "schemes" / "county-interim-cross.yaml").write_text(CROSS, "utf-8")
    (d / "rules.yaml").write_text(RULES, "utf-8")
    lines = list(generate(SHAPE))
    events = d / "events.jsonl"
    events.write_bytes(b"".join(lines))
    out = subprocess.run([sys.executable, "-m", "caseflow.cli", "replay", "--input", str(events), "--units",
                          str(units), "--period", "2026-10", "--schemes-dir", str(d / "schemes"),
                          "--rules-file", str(d / "rules.yaml")], capture_output=True, check=True)
    expected = orjson.loads(out.stdout)
    assert expected["listings"]["yuhang-2019"]["rows"]["R-01"]["status"] == "trial"
    assert expected["units"]["U-000"]["scores"]["county-interim-cross"] != expected["units"]["U-000"]["scores"][
        "county-interim"]
    return lines, units, expected


def config_env(units: Path) -> dict[str, str]:
    return {"CASEFLOW_SCHEMES_DIR": str(units.parent / "schemes"),
            "CASEFLOW_RULES_FILE": str(units.parent / "rules.yaml")}


@pytest.fixture
def stack(settings: Settings, month, tmp_path: Path) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services({**env_of(settings, month[1]), **config_env(month[1])}, {n: free_port() for n in SERVICES},
                        tmp_path / "logs")
    try:
        yield services.start(("intake", "dispatch", "scoring"))
    finally:
        services.stop_all()


def post_all(intake: str, lines: list[bytes], chunk: int = 150, pause: float = 0.0) -> None:
    with httpx.Client(timeout=60, headers=KEY) as client:
        for i in range(0, len(lines), chunk):
            r = client.post(f"{intake}/v1/events:ndjson", content=b"".join(lines[i:i + chunk]))
            assert r.status_code in (200, 207), r.text
            time.sleep(pause)


def converge(scoring: str, expected: dict, timeout: float = 120.0) -> dict:  # type: ignore[type-arg]
    keys = ("period", "units", "regions", "listings")
    want = {k: expected[k] for k in keys}
    deadline = time.monotonic() + timeout
    got: dict = {}  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        got = httpx.get(f"{scoring}/v1/periods/2026-10", headers=KEY, timeout=30).json()
        if {k: got.get(k) for k in keys} == want:
            return got
        time.sleep(1)
    diff = [u for u in want["units"] if got.get("units", {}).get(u) != want["units"][u]]
    raise AssertionError(f"live never equalled replay; differing units: {diff[:5]}")


async def rejections(url: str) -> set[tuple[str, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT event_id, reason FROM dispatch_rejections")
        return {(r["event_id"], r["reason"]) for r in rows}
    finally:
        await conn.close()


async def alert_ids(settings: Settings) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:  # both lanes: alerts raised long after their instant go on alerts-backlog
        tps = [TopicPartition(settings.topic(t), p) for t in ("alerts", "alerts-backlog")
               for p in range(settings.partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        ids: list[str] = []
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in tps])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                ids += [orjson.loads(r.value)["alert_id"] for r in records]
        return ids
    finally:
        await consumer.stop()


def standing_equals_replay(scoring: str, lines: list[bytes], units: Path, kind: str, timeout: float = 90) -> None:
    """The standing document of the current `kind` equals replay as of the instant it was computed."""
    directory = load_directory(units)
    rules = load_rules(rules_file=units.parent / "rules.yaml")
    schemes = load_schemes(units.parent / "schemes")
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(f"{scoring}/v1/current/{kind}", headers=KEY, timeout=30)
        if r.status_code == 200:
            doc = r.json()
            start, end = named_bounds(doc["period_name"])
            result = replay(lines, Period(start, end, parse_instant(doc["period"]["as_of"], "as_of")), rules,
                            directory, schemes)
            want = orjson.loads(orjson.dumps(numbers_document(
                result.period, Numbers(result.indicators, result.scores, result.listings))))
            if {k: doc[k] for k in ("period", "units", "regions", "listings")} == want:
                return
        assert time.monotonic() < deadline, f"the standing {kind} never equalled replay"
        time.sleep(2)


async def test_generated_month_live_equals_replay(stack: Services, settings: Settings, month) -> None:  # type: ignore[no-untyped-def]
    lines, units, expected = month
    await asyncio.to_thread(post_all, stack.running["intake"].url, lines)
    await asyncio.to_thread(converge, stack.running["scoring"].url, expected)
    await asyncio.to_thread(standing_equals_replay, stack.running["scoring"].url, lines, units, "quarter")
    replay_rejected = {(r["event_id"], r["reason"]) for r in expected["rejected"] if r["reason"] != "invalid"}
    assert await rejections(settings.database_url) == replay_rejected
    live = httpx.get(f"{stack.running['scoring'].url}/v1/periods/2026-10", headers=KEY, timeout=30).json()
    assert live["rejected"] == [r for r in expected["rejected"] if r["reason"] != "invalid"]  # the API lists them
    ids = await alert_ids(settings)
    assert ids and len(ids) == len(set(ids))


async def test_kill_9_dispatch_and_scoring_while_streaming(stack: Services, settings: Settings, month) -> None:  # type: ignore[no-untyped-def]
    lines, _, expected = month
    feeder = threading.Thread(target=post_all, args=(stack.running["intake"].url, lines, 60, 0.05))
    feeder.start()
    rnd = random.Random(5)
    kills = 0
    while feeder.is_alive() or kills < 6:
        await asyncio.sleep(rnd.uniform(0.3, 1.5))
        victim = ("dispatch", "scoring")[kills % 2]
        stack.kill(victim)
        kills += 1
        await asyncio.sleep(rnd.uniform(0.0, 0.5))
        stack.start_one(victim)
        await asyncio.to_thread(stack.wait_ready, (victim,))
    feeder.join()
    await asyncio.to_thread(converge, stack.running["scoring"].url, expected)
    ids = await alert_ids(settings)
    assert ids and len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicate alert ids after {kills} kills"
    replay_rejected = {(r["event_id"], r["reason"]) for r in expected["rejected"] if r["reason"] != "invalid"}
    assert await rejections(settings.database_url) == replay_rejected
    live = httpx.get(f"{stack.running['scoring'].url}/v1/periods/2026-10", headers=KEY, timeout=30).json()
    assert live["rejected"] == [r for r in expected["rejected"] if r["reason"] != "invalid"]  # the API lists them
