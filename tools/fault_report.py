"""The fault scenario's inputs and report: its units file, the months it spans, and the tables it prints."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, region_ids, unit_ids


def units_file(shape: Shape, receivers: str, path: Path) -> Path:
    units = [{"id": u, "name": f"责任单位{u[2:]}", "class": c,
              "channels": [{"type": "webhook", "url": f"{receivers}/{u}"}]} for u, c in unit_ids(shape)]
    path.write_text(yaml.safe_dump({"units": units, "regions": [{"id": r} for r in region_ids(shape)]},
                                   allow_unicode=True), "utf-8")
    return path


def months_of(start: datetime, end: datetime) -> list[str]:
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def duplicates_table(duplicates: list[dict[str, Any]]) -> str:
    if not duplicates:
        return ""
    out = ["", "alert ids on the topic more than once:", "",
           "| alert_id | producer | outbox id | partition | offset | written | last fault before |",
           "|---|---|---|---|---|---|---|"]
    for d in duplicates:
        out += [f"| {d['alert_id']} | {c['source']} | {c['outbox_id']} | {c['partition']} | {c['offset']} | "
                f"{c['written']} | {c['after_fault']} |" for c in d["copies"]]
    return "\n".join(out)


def table(faults: list[dict[str, Any]], outcome: dict[str, Any]) -> str:
    out = ["| fault injected | month still streaming | recovered in | requests refused meanwhile |",
           "|---|---|---|---|"]
    out += [f"| {f['fault']} | {'yes' if f['feeding'] else 'no'} | {f['recovered_s']} s | {f['requests_refused']} |"
            for f in faults]
    out += ["", "| outcome | value |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in outcome.items()]
    return "\n".join(out)


def explain(twice: dict[str, list[Any]], faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each duplicated alert id: every copy's producer, outbox row, partition, offset and the fault
    that was last injected before it was written, so a failure explains itself."""
    out = []
    for alert_id, copies in sorted(twice.items()):
        rows = []
        for c in copies:
            before = [f["fault"] for f in faults if f["began_ms"] <= c.timestamp_ms]
            rows.append({"source": c.outbox_source, "outbox_id": c.outbox_id, "partition": c.partition,
                         "offset": c.offset, "written": datetime.fromtimestamp(c.timestamp_ms / 1000,
                                                                               SHANGHAI).strftime("%H:%M:%S.%f")[:-3],
                         "after_fault": before[-1] if before else "(none yet)"})
        out.append({"alert_id": alert_id, "copies": rows})
    return out
