"""Even spacing of sends at a rate, shared by the Telegram adapter and the broadcast sender."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

SLACK = 0.01
"""Seconds a late send may catch up without waiting, so that timer granularity costs no rate."""


class Limiter:
    """At most `rate` sends a second, evenly spaced; `hold` pauses them all (a platform's retry-after).

    A sleep often ends a little late; the next send then goes at once instead of a full gap
    later, as long as it is less than SLACK behind. What platforms count is sends in any one
    second, so the limiter also keeps the times of the last `rate` sends and never lets a
    send start less than a second after the one `rate` places before it: catching up never
    puts more than `rate` sends into one second.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = 1.0 / rate
        self.clock = clock
        self._next = 0.0
        self._recent: deque[float] = deque(maxlen=max(1, int(rate)))

    def reserve(self) -> float:
        """Take the next slot; returns how long to wait for it."""
        now = self.clock()
        slot = max(now - SLACK, self._next)
        if len(self._recent) == self._recent.maxlen:
            slot = max(slot, self._recent[0] + 1.0)
        self._next = slot + self.gap
        start = max(now, slot)
        self._recent.append(start)
        return start - now

    async def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)

    def hold(self, seconds: float) -> None:
        self._next = max(self._next, self.clock() + seconds)
