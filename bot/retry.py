"""One way to try again: wait as long as the platform says, else back off, doubling.

Telegram answers a 429 with `retry_after` (seconds), Matrix with `retry_after_ms`; the
adapters turn both into an exception with a `retry_after` attribute in seconds (aiogram's
`TelegramRetryAfter`, our `RateLimited`), which `retrying` waits out exactly. Other
transient errors wait `first`, then twice that, up to `longest`. Everything else is
raised at once. Kept replies and broadcasts are rescheduled in the database instead
(bot/reply_outbox.py, bot/broadcasting/sender.py): this is for waits within one call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, stop_never

log = logging.getLogger(__name__)

T = TypeVar("T")
FOREVER = None
"""`attempts=FOREVER`: until the call succeeds (receive loops, the store coming back)."""


def told_wait(err: BaseException | None) -> float | None:
    """Seconds the platform asked to wait, where the error carries them."""
    seconds = getattr(err, "retry_after", None)
    return float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None


class _Backoff:
    """`first`, doubling up to `longest`; a platform's retry-after is taken as it is, and does not double."""

    def __init__(self, first: float, longest: float) -> None:
        self.next = first
        self.longest = longest

    def __call__(self, state: RetryCallState) -> float:
        told = told_wait(state.outcome.exception() if state.outcome is not None else None)
        if told is not None:
            return told
        delay = self.next
        self.next = min(self.next * 2, self.longest)
        return delay


def _stop(attempts: int | None, patient: bool) -> Callable[[RetryCallState], bool]:
    if attempts is None:
        return stop_never
    if not patient:
        return stop_after_attempt(attempts)
    failures = 0

    def stop(state: RetryCallState) -> bool:
        nonlocal failures
        if told_wait(state.outcome.exception() if state.outcome is not None else None) is None:
            failures += 1
        return failures >= attempts

    return stop


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    on: tuple[type[BaseException], ...],
    attempts: int | None,
    first: float = 1.0,
    longest: float = 60.0,
    before: Callable[[], Awaitable[None]] | None = None,
    patient: bool = False,
    what: str = "",
) -> T:
    """Await `call()`, again after an error of a type in `on`; the last error is raised as it is.

    `before` is awaited ahead of every attempt (a pacer's slot). `patient`: waiting out a
    platform's retry-after does not count as one of the `attempts`. With `what`, each retry
    is logged naming it (a warning, or info where the platform only asked to wait)."""

    async def attempt() -> T:
        if before is not None:
            await before()
        return await call()

    def tell(state: RetryCallState) -> None:
        if what and state.outcome is not None and state.next_action is not None:
            err = state.outcome.exception()
            level = logging.INFO if told_wait(err) is not None else logging.WARNING  # asked to wait: routine
            log.log(level, "%s failed (%s); retrying in %.1f s", what, type(err).__name__, state.next_action.sleep)

    retry = AsyncRetrying(
        retry=retry_if_exception_type(on),
        stop=_stop(attempts, patient),
        wait=_Backoff(first, longest),
        before_sleep=tell,
        reraise=True,
    )
    return await retry(attempt)
