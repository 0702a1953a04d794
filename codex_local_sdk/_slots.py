"""The client's limit on CLI processes at once (``max_concurrent_runs``), shared by threads and
asyncio tasks.

A freed slot goes straight to the longest waiter, woken on its own terms: a thread by an event,
a task by a future on its loop (set from whichever thread freed the slot). A waiter that gives
up (its timeout passed, it was cancelled or interrupted) leaves the queue, and gives back a
slot that reached it meanwhile.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable
from typing import Literal

Taken = Literal["at_once", "after_a_wait", "no"]
"""How :meth:`RunSlots.acquire` went: a slot was free, one came to the queued caller, or none
came within the timeout."""


class _Waiter:
    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self.granted = False


class RunSlots:
    """At most ``limit`` slots held at once; :meth:`acquire` or :meth:`acquire_async` one,
    :meth:`release` it exactly once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_use = 0
        self._waiters: collections.deque[_Waiter] = collections.deque()

    def acquire(self, timeout: float | None) -> Taken:
        """Take a slot, blocking the thread up to ``timeout`` seconds (``None``: no limit).

        Returns:
            Whether a slot was taken, at once or after a wait in the queue.
        """
        event = threading.Event()
        waiter = self._take_or_queue(event.set)
        if waiter is None:
            return "at_once"
        try:
            event.wait(timeout)
        except BaseException:  # interrupted or cancelled: a slot that reached us goes on
            if self._withdraw(waiter):
                self.release()
            raise
        return "after_a_wait" if self._withdraw(waiter) else "no"

    async def acquire_async(self, timeout: float | None) -> Taken:
        """As :meth:`acquire`, awaiting on the running loop instead of blocking it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not future.done():
                future.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(settle)

        waiter = self._take_or_queue(wake)
        if waiter is None:
            return "at_once"
        try:
            await asyncio.wait({future}, timeout=timeout)
        except BaseException:  # interrupted or cancelled: a slot that reached us goes on
            if self._withdraw(waiter):
                self.release()
            raise
        return "after_a_wait" if self._withdraw(waiter) else "no"

    def release(self) -> None:
        """Give a slot back: to the longest waiter, if any."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                waiter.granted = True
                try:
                    waiter.wake()
                except RuntimeError:  # its event loop is closed: the waiter is gone
                    continue
                return
            self._in_use -= 1

    def _take_or_queue(self, wake: Callable[[], None]) -> _Waiter | None:
        with self._lock:
            if self._in_use < self.limit and not self._waiters:
                self._in_use += 1
                return None
            waiter = _Waiter(wake)
            self._waiters.append(waiter)
            return waiter

    def _withdraw(self, waiter: _Waiter) -> bool:
        """After a wait: whether ``waiter`` got a slot; one still queued leaves the queue."""
        with self._lock:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            return False
