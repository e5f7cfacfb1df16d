"""The consumer entrypoint every service uses (infra/consuming.py): the use case gets decoded messages
with their keys, offsets and traces; a record that does not decode is counted, logged and left out,
and the rest of the batch goes on."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import orjson
from prometheus_client import REGISTRY

from caseflow.contract.alert import AlertMessage
from caseflow.contract.alert import decode as decode_alert
from caseflow.infra.consuming import Consumed, entrypoint


def rec(value: bytes, offset: int, key: bytes = b"U1") -> SimpleNamespace:
    return SimpleNamespace(value=value, key=key, headers=[], offset=offset)


def alert(alert_id: str, **more: Any) -> bytes:
    return orjson.dumps({"alert_id": alert_id, "type": "overdue", "unit": "U1", "level": 1,
                         "due_at": "2026-11-03T11:30:00+08:00", "reason": "overdue level 1", **more})


async def test_unreadable_records_are_left_out_and_counted() -> None:
    got: list[Consumed[AlertMessage]] = []

    async def use_case(conn: Any, messages: list[Consumed[AlertMessage]], traces: Mapping[str, dict[str, str]]) -> None:
        got.extend(messages)
        assert set(traces) == {"U1", "U2"}  # every record's key continues a trace, read or not

    before = REGISTRY.get_sample_value("caseflow_messages_unreadable_total", {"entrypoint": "test.alert"}) or 0.0
    handle = entrypoint("test.alert", decode_alert, use_case)
    await handle(None, [rec(alert("A1"), 0), rec(b"not json", 1), rec(alert("A2", reason="because"), 2, b"U2"),
                        rec(alert("A3", level="high"), 3), rec(alert("A4"), 4)])  # type: ignore[arg-type]
    assert [(m.value.alert_id, m.offset, m.key) for m in got] == [("A1", 0, "U1"), ("A4", 4, "U1")]
    after = REGISTRY.get_sample_value("caseflow_messages_unreadable_total", {"entrypoint": "test.alert"})
    assert after == before + 3
