"""The one retry helper: a platform's retry-after is waited out as told, other failures back off, doubling."""

from __future__ import annotations

import time

import pytest

from bot.broadcasting.transport import PermanentFailure, RateLimited, TemporaryFailure
from bot.retry import FOREVER, retrying


class Flaky:
    """Fails with the given errors, one a call, then answers "ok"; records when each call came."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[float] = []

    async def __call__(self) -> str:
        self.calls.append(time.monotonic())
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.calls, self.calls[1:], strict=False)]


async def test_retry_after_is_waited_out_as_told() -> None:
    call = Flaky(RateLimited(0.3))
    assert await retrying(call, on=(RateLimited,), attempts=3, first=0.01) == "ok"
    assert call.gaps()[0] >= 0.29


async def test_other_failures_back_off_doubling_up_to_the_longest() -> None:
    call = Flaky(*(TemporaryFailure("away") for _ in range(4)))
    assert await retrying(call, on=(TemporaryFailure,), attempts=FOREVER, first=0.05, longest=0.1) == "ok"
    gaps = call.gaps()
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.1
    assert gaps[2] < 0.19, "never longer than `longest`"


async def test_the_last_failure_is_raised_after_the_attempts() -> None:
    call = Flaky(*(TemporaryFailure(str(n)) for n in range(5)))
    with pytest.raises(TemporaryFailure, match="2"):
        await retrying(call, on=(TemporaryFailure,), attempts=3, first=0.001)
    assert len(call.calls) == 3


async def test_a_failure_not_named_is_raised_at_once() -> None:
    call = Flaky(PermanentFailure("refused"))
    with pytest.raises(PermanentFailure):
        await retrying(call, on=(TemporaryFailure, RateLimited), attempts=5, first=0.001)
    assert len(call.calls) == 1


async def test_patient_retries_do_not_count_waiting_for_the_platform() -> None:
    call = Flaky(RateLimited(0.01), RateLimited(0.01), RateLimited(0.01), TemporaryFailure("away"))
    assert await retrying(call, on=(RateLimited, TemporaryFailure), attempts=2, first=0.001, patient=True) == "ok"
    impatient = Flaky(RateLimited(0.01), RateLimited(0.01), RateLimited(0.01))
    with pytest.raises(RateLimited):
        await retrying(impatient, on=(RateLimited,), attempts=2, first=0.001)
