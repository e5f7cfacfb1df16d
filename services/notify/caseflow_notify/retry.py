"""When to try a delivery again (pure): exponential backoff with jitter for timeouts, 5xx, 408 and 429
(Retry-After honoured); any other 4xx is final; give up after `give_up_after`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 1.0  # seconds
    factor: float = 2.0
    max_delay: float = 300.0
    give_up_after: float = 3600.0  # since the first attempt


def retryable(status: int | None) -> bool:
    """None means no HTTP answer (timeout, refused)."""
    return status is None or status >= 500 or status in (408, 429)


def next_delay(policy: RetryPolicy, attempt: int, status: int | None, retry_after: float | None,
               elapsed: float, jitter: float) -> float | None:
    """Seconds until the next try after failed attempt number `attempt` (1-based), or None to give up.
    `jitter` in [0, 1) comes from the caller (the core has no randomness)."""
    if status is not None and 200 <= status < 300:
        return None
    if not retryable(status):
        return None
    delay = min(policy.max_delay, policy.first_delay * policy.factor ** (attempt - 1))
    delay = delay * (0.5 + jitter / 2)  # "equal jitter": between half and all of the backoff
    if retry_after is not None:
        delay = max(delay, retry_after)
    if elapsed + delay > policy.give_up_after:
        return None
    return delay
