"""Stopping the local stack on SIGTERM or Ctrl-C, every time.

`caseflow up` once sat forever after a SIGTERM: its handler called `threading.Event.set()`, which takes
the Event's lock, and the signal had landed while the main thread held that same lock inside
`stop.wait()`. A handler must take no lock. Here the first SIGTERM or SIGINT raises KeyboardInterrupt in
the main thread (what Ctrl-C does), so whatever it was doing unwinds through its `finally` blocks that
stop the services, Kafka and PostgreSQL; further signals are only counted, so they cannot interrupt
that cleanup half-way."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class StopSignals:
    def __init__(self) -> None:
        self.received: list[int] = []

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            raise KeyboardInterrupt(signal.Signals(signum).name)

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @staticmethod
    def wait_forever() -> None:
        """Sleep until a signal unwinds this (time.sleep takes no lock a handler could want)."""
        while True:
            time.sleep(3600)
