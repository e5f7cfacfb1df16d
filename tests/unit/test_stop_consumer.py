"""A service stops even when its Kafka consumer cannot (aiokafka's stop waits for a group coordinator that
may never answer: a broker just started, or gone): the stop is given up after its time, and said."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from caseflow.infra.kafka import stop_consumer


class NeverStops:
    stopped = False

    async def stop(self) -> None:
        await asyncio.Event().wait()  # as aiokafka looking for a coordinator that is not there


class Stops:
    stopped = False

    async def stop(self) -> None:
        self.stopped = True


async def test_a_consumer_that_never_stops_is_left_after_its_time(caplog: pytest.LogCaptureFixture) -> None:
    began = time.monotonic()
    with caplog.at_level(logging.WARNING):
        await stop_consumer(NeverStops(), within=0.2)
    assert time.monotonic() - began < 2
    assert "did not stop within" in caplog.text


async def test_a_consumer_that_stops_is_stopped() -> None:
    consumer = Stops()
    await stop_consumer(consumer, within=5)
    assert consumer.stopped
