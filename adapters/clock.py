"""Clocks: the real one, and a fake whose sleeps advance time instantly."""

from __future__ import annotations

import asyncio
import threading
import time


class SystemClock:
    """The machine's clocks: ``time.time``, ``time.monotonic``, ``time.sleep``, ``asyncio.sleep``."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        time.sleep(seconds)

    async def sleep_async(self, seconds: float) -> None:
        """Suspend the current task for ``seconds``."""
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to, or when something sleeps on it.

    ``sleep`` returns at once after moving time forward, so retry backoffs and timeouts take
    no wall time in tests; ``sleeps`` records every requested sleep. Thread-safe.

    Args:
        start: the initial monotonic time.
        wall_offset: added to the monotonic time to give :meth:`time`.

    Attributes:
        sleeps: every duration passed to :meth:`sleep`/:meth:`sleep_async`, in order.

    >>> clock = FakeClock(start=100.0)
    >>> clock.sleep(2.5)
    >>> clock.monotonic(), clock.sleeps
    (102.5, [2.5])
    """

    def __init__(self, start: float = 0.0, *, wall_offset: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_offset
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def time(self) -> float:
        """Fake wall-clock seconds: ``wall_offset`` plus the monotonic time."""
        return self._wall_offset + self.monotonic()

    def monotonic(self) -> float:
        """The fake monotonic time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"time cannot go backwards (advance by {seconds})")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance time by it (a negative one by 0), without waiting."""
        self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))

    async def sleep_async(self, seconds: float) -> None:
        """As :meth:`sleep`, yielding to the event loop once."""
        self.sleep(seconds)
        await asyncio.sleep(0)
