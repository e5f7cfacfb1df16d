"""What a person needs to recognise a case in an alert: description, address, category, codes, the
supervision reason. Read from the case's raw contract-v1 events (the rules never use them), carried
in the case snapshot beside the state, and copied into each alert."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

REPORTED_KEYS = ("description", "address", "category", "major", "minor", "region", "grid")


def case_facts(raws: Iterable[bytes]) -> dict[str, str]:
    """Facts from the first `reported` event, codes as re-filed by a `filed` event, and the reason of
    the latest `supervised` event. Events that are not JSON objects are passed over (they were
    dead-lettered by the fold)."""
    facts: dict[str, str] = {}
    reported = False
    for raw in raws:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, dict):
            continue
        kind = doc.get("type")
        if kind == "reported" and not reported:
            reported = True
            facts.update({k: str(data[k]) for k in REPORTED_KEYS if isinstance(data.get(k), str | int | float)})
        elif kind == "filed":
            facts.update({k: str(data[k]) for k in ("major", "minor") if isinstance(data.get(k), str)})
        elif kind == "supervised" and isinstance(data.get("reason"), str):
            facts["supervision_reason"] = data["reason"]
    return facts
