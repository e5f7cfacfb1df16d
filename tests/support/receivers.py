"""Local HTTP receivers for delivery tests and benchmarks (loopback only)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
