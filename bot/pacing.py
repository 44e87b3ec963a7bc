"""Even spacing of sends at a rate, shared by the Telegram adapter and the broadcast sender."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

SLACK = 0.01
"""Seconds a late send may catch up without waiting, so that timer granularity costs no rate."""


class Limiter:
    """At most `rate` sends a second on average; `hold` pauses them all (a platform's retry-after).

    A sleep often ends a little late; the next send then goes at once instead of a full gap
    later, as long as it is less than SLACK behind. In any second that allows at most
    `rate × SLACK` sends above the rate: one in 100.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = 1.0 / rate
        self.clock = clock
        self._next = 0.0

    def reserve(self) -> float:
        """Take the next slot; returns how long to wait for it."""
        now = self.clock()
        slot = max(now - SLACK, self._next)
        self._next = slot + self.gap
        return max(0.0, slot - now)

    async def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)

    def hold(self, seconds: float) -> None:
        self._next = max(self._next, self.clock() + seconds)
