"""Local HTTP receivers for delivery tests and benchmarks (loopback only)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from caseflow_devstack.kafka_local import free_port


class Backlogged(ThreadingHTTPServer):
    """The stdlib default backlog (5) drops concurrent connections (1 s SYN retries): a real receiver has more."""

    request_queue_size = 256
    daemon_threads = True


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port in a thread; yields the base URL."""
    server = Backlogged(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextmanager
def counting_alerts() -> Iterator[tuple[str, Counter[str]]]:
    """A webhook receiver counting each alert's unflagged arrivals per path (`/<unit>|<alert_id>`): a
    copy flagged `redelivery` (interrupted mid-request, sent again) is announced and not counted."""
    received: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            with lock:
                for alert in body.get("alerts", [body]):
                    key = f"{self.path}|{alert['alert_id']}"
                    received[key] += 0 if alert.get("redelivery") else 1
                    received.setdefault(key, 0)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    with serving(Handler) as base:
        yield base, received
