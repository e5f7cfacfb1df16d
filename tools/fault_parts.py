"""Pieces of the fault scenario: the platform (a feeder that resends until acknowledged), the units'
webhook receivers (which can be made to fail), a supervisor that restarts crashed services (as
Kubernetes would), and the checks run after recovery."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import Services


class Feeder(threading.Thread):
    """Offers the month at a steady rate, `chunk` lines per request; a refused or failed request is sent
    again (the platform's behaviour) until intake acknowledges it. The last chunk waits for `finish`:
    every fault is injected while the month is still streaming, however slowly the machine recovers."""

    def __init__(self, url: str, key: str, lines: list[bytes], chunk: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.lines, self.chunk, self.rate = url, key, lines, chunk, rate
        self.acknowledged: set[str] = set()
        self.refused = 0
        self.sent_chunks = 0
        self.finish = threading.Event()
        self.waiting = False  # at the last chunk, for `finish`

    def run(self) -> None:
        start = time.monotonic()
        with httpx.Client(timeout=15, headers={"X-API-Key": self.key}) as client:
            for i in range(0, len(self.lines), self.chunk):
                delay = start + i / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if i + self.chunk >= len(self.lines):
                    self.waiting = True
                    self.finish.wait()
                    self.waiting = False
                body = b"".join(self.lines[i:i + self.chunk])
                while True:
                    try:
                        r = client.post(f"{self.url}/v1/events:ndjson", content=body)
                        if r.status_code in (200, 207, 422):
                            break
                    except httpx.HTTPError:
                        pass
                    self.refused += 1
                    time.sleep(0.3)
                results = r.json().get("results", [])
                self.acknowledged |= {v["event_id"] for v in results if v["status"] in ("accepted", "duplicate")}
                self.sent_chunks += 1


@dataclass
class Receivers:
    """One HTTP server; path /<unit>. While `failing` is set every request gets a 500."""

    failing: threading.Event = field(default_factory=threading.Event)
    unflagged: Counter[str] = field(default_factory=Counter)  # "path|alert_id" -> first-copy arrivals
    flagged: int = 0  # copies marked redelivery (a send interrupted by a crash, sent again)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def start(self) -> Receivers:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if owner.failing.is_set():
                    with owner.lock:
                        owner.refused += 1
                    self.send_response(500)
                else:
                    doc = orjson.loads(body)
                    with owner.lock:
                        for alert in doc.get("alerts", [doc]):
                            if alert.get("redelivery"):
                                owner.flagged += 1
                            else:
                                owner.unflagged[f"{self.path}|{alert['alert_id']}"] += 1
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        server = Server(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self


class Supervisor(threading.Thread):
    """Restarts any service whose process exited while the scenario did not mean it to."""

    def __init__(self, services: Services, lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.services, self.lock = services, lock
        self.restarts: Counter[str] = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            with self.lock:
                for name, svc in list(self.services.running.items()):
                    if svc.process.poll() is not None:
                        self.restarts[name] += 1
                        self.services.running.pop(name)
                        self.services.start_one(name)


def all_ready(services: Services) -> bool:
    try:
        return all(httpx.get(f"{s.url}/readyz", timeout=1).status_code == 200 for s in services.running.values())
    except httpx.HTTPError:
        return False


async def archived_ids(url: str) -> tuple[set[str], int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT event_id FROM event_archive")
        return {r["event_id"] for r in rows}, len(rows)
    finally:
        await conn.close()


async def delivery_states(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM notify_deliveries GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
    finally:
        await conn.close()


@dataclass(frozen=True)
class TopicAlert:
    """One message on the alerts topic and where it came from."""

    alert_id: str
    partition: int
    offset: int
    timestamp_ms: int
    outbox_source: str
    outbox_id: int | None


async def alerts_on_topic(bootstrap: str, topic: str, partitions: int) -> list[TopicAlert]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[TopicAlert] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    heads = {k: v.decode() for k, v in r.headers or ()}
                    outbox_id = heads.get("outbox-id")
                    found.append(TopicAlert(orjson.loads(r.value or b"{}")["alert_id"], r.partition, r.offset,
                                            r.timestamp, heads.get("outbox-source", "?"),
                                            int(outbox_id) if outbox_id else None))
        return found
    finally:
        await consumer.stop()


def duplicated(alerts: list[TopicAlert]) -> dict[str, list[TopicAlert]]:
    """Every alert id on the topic more than once, with each copy's producer, partition and offset."""
    by_id: dict[str, list[TopicAlert]] = {}
    for a in alerts:
        by_id.setdefault(a.alert_id, []).append(a)
    return {k: v for k, v in by_id.items() if len(v) > 1}


def live_document(scoring: str, key: str, month: str) -> dict[str, Any]:
    doc: dict[str, Any] = httpx.get(f"{scoring}/v1/periods/{month}", headers={"X-API-Key": key}, timeout=60).json()
    return {k: doc.get(k) for k in ("period", "units", "regions", "listings")}


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)
