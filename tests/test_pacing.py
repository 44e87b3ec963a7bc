"""The limiter that spaces sends: the rate holds in every second, late sends catch up a little, holds hold."""

from __future__ import annotations

import bisect
import itertools

import pytest

from bot.pacing import SLACK, Limiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sends_are_spaced_at_the_rate() -> None:
    clock = Clock()
    limiter = Limiter(10, clock)
    waits = [limiter.reserve() for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.1 - SLACK, 0.2 - SLACK])


def test_a_late_sender_catches_up_but_never_exceeds_the_rate_in_any_second() -> None:
    """After a stall, at most SLACK of sends go at once, and no second ever holds more than `rate` sends."""
    clock = Clock()
    limiter = Limiter(1000, clock)
    sent_at: list[float] = []
    for step in range(5000):
        if step % 500 == 0:
            clock.now += 0.0099  # the event loop was busy for just under the slack
        clock.now += limiter.reserve()
        sent_at.append(clock.now)
    most = max(bisect.bisect_left(sent_at, start + 1.0) - index for index, start in enumerate(sent_at))
    assert most <= 1000
    immediate = sum(1 for a, b in itertools.pairwise(sent_at) if b == a)
    assert 0 < immediate <= 10 * 1000 * SLACK


def test_hold_pauses_everything_for_the_given_time() -> None:
    clock = Clock()
    limiter = Limiter(100, clock)
    limiter.reserve()
    limiter.hold(2.0)
    assert limiter.reserve() == 2.0
