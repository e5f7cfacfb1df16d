"""intake's HTTP API with in-memory fakes for the bus and the id memory (the adapters have their own
tests on real Kafka and PostgreSQL): verdicts, status codes, limits, authentication, OpenAPI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from caseflow.infra.settings import Settings
from caseflow_intake.api import create_app
from tests.conftest import CONTRACT

KEY = {"X-API-Key": "k1"}
EXAMPLES = (CONTRACT / "examples.jsonl").read_bytes().splitlines()


class FakeBus:
    def __init__(self) -> None:
        self.published: list[tuple[str, bytes]] = []
        self.dead: list[tuple[bytes, dict[str, str]]] = []

    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        self.published += events

    async def dead_letter(self, rejected: Sequence[tuple[bytes, dict[str, str]]]) -> None:
        self.dead += rejected


class FakeIds:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    @contextlib.asynccontextmanager
    async def claim(self, pairs: Sequence[tuple[str, str]]) -> AsyncIterator[set[str]]:
        new = {e for e, _ in pairs} - self.ids
        yield new
        self.ids |= new


@pytest.fixture
def wired() -> tuple[TestClient, FakeBus]:
    bus, ids = FakeBus(), FakeIds()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.bus, app.state.ids = bus, ids

        async def ready() -> bool:
            return True

        app.state.ready = ready
        yield

    settings = Settings(api_keys="platform:k1,other:k2", max_body_bytes=20_000, max_batch_events=20)
    with TestClient(create_app(settings, lifespan)) as client:
        yield client, bus


def test_one_event_accepted_and_published_keyed_by_case(wired) -> None:  # type: ignore[no-untyped-def]
    client, bus = wired
    r = client.post("/v1/events", content=EXAMPLES[0], headers=KEY)
    assert r.status_code == 200 and r.json()["results"] == [{"index": 0, "status": "accepted", "event_id": "e-0001"}]
    assert bus.published == [("YH-2026-100231", EXAMPLES[0])]


def test_duplicates_are_answered_not_published_twice(wired) -> None:  # type: ignore[no-untyped-def]
    client, bus = wired
    body = b"[" + b",".join(EXAMPLES[:3] + EXAMPLES[:1]) + b"]"
    r = client.post("/v1/events", content=body, headers=KEY)
    assert r.status_code == 200 and (r.json()["accepted"], r.json()["duplicates"]) == (3, 1)
    again = client.post("/v1/events:ndjson", content=b"\n".join(EXAMPLES[:3]), headers=KEY)
    assert again.json()["duplicates"] == 3 and len(bus.published) == 3


def test_mixed_batch_is_207_with_the_field_and_reason(wired) -> None:  # type: ignore[no-untyped-def]
    client, bus = wired
    bad = orjson.loads(EXAMPLES[3])
    del bad["data"]["unit"]
    r = client.post("/v1/events", content=orjson.dumps([orjson.loads(EXAMPLES[0]), bad]), headers=KEY)
    assert r.status_code == 207
    assert r.json()["results"][1] == {"index": 1, "status": "rejected", "event_id": "e-0004", "field": "data.unit",
                                      "reason": "Field required"}
    assert len(bus.published) == 1
    assert bus.dead == [(orjson.dumps(bad), {"reason": "Field required", "field": "data.unit",
                                             "source": "http/platform"})]


def test_control_characters_in_ids_are_rejected_by_field_not_stored(wired) -> None:  # type: ignore[no-untyped-def]
    client, bus = wired
    event = orjson.loads(EXAMPLES[0])
    r = client.post("/v1/events", content=orjson.dumps({**event, "event_id": "a\u0000b"}), headers=KEY)
    assert r.status_code == 422 and r.json()["results"][0]["field"] == "event_id"
    assert "control characters" in r.json()["results"][0]["reason"]
    assert bus.published == [] and len(bus.dead) == 1


@pytest.mark.parametrize(("body", "field"), [
    (b'{"event_id": "x"}', "type"),
    (b'{"event_id":"x","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00","data":{}}', "case_id"),
    (b'{"event_id":"x","case_id":"c","type":"boom","occurred_at":"2026-11-02T09:12:00+08:00","data":{}}', "type"),
    (b'{"event_id":"x","case_id":"c","type":"closed","occurred_at":"2026-11-02T09:12:00","data":{}}', "occurred_at"),
    (b'{"event_id":"x","case_id":"c","type":"visited","occurred_at":"2026-11-02T09:12:00Z","data":{"result":"meh"}}',
     "data.result"),
])
def test_nothing_valid_is_422_naming_the_field(wired, body: bytes, field: str) -> None:  # type: ignore[no-untyped-def]
    client, bus = wired
    r = client.post("/v1/events", content=body, headers=KEY)
    assert r.status_code == 422 and r.json()["results"][0]["field"] == field and not bus.published


def test_not_json_is_422(wired) -> None:  # type: ignore[no-untyped-def]
    client, _ = wired
    r = client.post("/v1/events", content=b"{nope", headers=KEY)
    assert r.status_code == 422 and "not JSON" in r.json()["detail"]


def test_limits_are_413(wired) -> None:  # type: ignore[no-untyped-def]
    client, bus = wired
    assert client.post("/v1/events", content=b" " * 20_001, headers=KEY).status_code == 413
    many = b"[" + b",".join([EXAMPLES[0]] * 21) + b"]"
    r = client.post("/v1/events", content=many, headers=KEY)
    assert r.status_code == 413 and "batch limit of 20" in r.json()["detail"] and not bus.published


def test_authentication(wired) -> None:  # type: ignore[no-untyped-def]
    client, _ = wired
    assert client.post("/v1/events", content=EXAMPLES[0]).status_code == 401
    assert client.post("/v1/events", content=EXAMPLES[0], headers={"X-API-Key": "k3"}).status_code == 401
    bearer = {"Authorization": "Bearer k2"}
    assert client.post("/v1/events", content=EXAMPLES[0], headers=bearer).status_code == 200
    wrong = client.post("/v1/events", content=EXAMPLES[0], headers={"X-API-Key": "k1x"})
    assert "k1x" not in wrong.text
    assert client.get("/healthz").status_code == 200 and client.get("/metrics").status_code == 200


def test_openapi_names_every_event_type_with_an_example() -> None:
    schema = create_app(Settings()).openapi()
    assert {"/v1/events", "/v1/events:ndjson"} <= set(schema["paths"])
    event = schema["components"]["schemas"]["CaseEvent"]
    assert event["examples"][0]["type"] == "dispatched"
    mapping = event["discriminator"]["mapping"]
    assert set(mapping) == {"reported", "verified", "filed", "invalidated", "dispatched", "returned", "extended",
                            "suspended", "resumed", "disposed", "reworked", "closed", "supervised", "visited"}


class DownBus(FakeBus):
    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        from aiokafka.errors import KafkaConnectionError

        raise KafkaConnectionError("broker down")


def test_storage_down_is_503_with_retry_after_and_acknowledges_nothing() -> None:
    ids = FakeIds()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.bus, app.state.ids = DownBus(), ids

        async def ready() -> bool:
            return True

        app.state.ready = ready
        yield

    with TestClient(create_app(Settings(api_keys="platform:k1"), lifespan)) as client:
        r = client.post("/v1/events", content=EXAMPLES[0], headers=KEY)
    assert r.status_code == 503 and r.headers["retry-after"] == "5" and "KafkaConnectionError" in r.text
    assert not ids.ids  # not remembered: the resend will be accepted, not called a duplicate
