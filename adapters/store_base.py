"""What every session store shares: the name views and record accessors, built on two
primitives a store provides — a snapshot of its records, and one atomic replace."""

from __future__ import annotations

import abc
import contextlib
import os
import tempfile
from collections.abc import Mapping

from codex_local_sdk.errors import SessionStoreCorruptError
from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import (
    SessionRecord,
    bound_history,
    check_session_id,
    check_session_name,
    with_session_id,
)

from .clock import SystemClock


class SessionStoreBase(abc.ABC):
    """A :class:`~codex_local_sdk.ports.SessionStore` from ``_snapshot`` and ``_replace``.

    Every method that takes a name raises ``ValueError`` when it is empty or blank, and
    ``set`` raises it for an empty or blank thread id.

    Args:
        max_turn_history: how many recent turns each record keeps (counters count all).
        clock: where ``set`` reads the time for the record's timestamps; default the
            system clock.

    Attributes:
        max_turn_history: as given.

    Raises:
        ValueError: a negative ``max_turn_history``.
        TypeError: a ``max_turn_history`` that is not an ``int``, or a ``clock`` that is not a
            :class:`~codex_local_sdk.ports.Clock`.
    """

    def __init__(self, *, max_turn_history: int = 50, clock: Clock | None = None) -> None:
        self.max_turn_history = _check_max_turn_history(max_turn_history)
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError(f"clock must be a Clock (time, monotonic, sleep, sleep_async), got {clock!r}")
        self._clock = clock if clock is not None else SystemClock()

    @abc.abstractmethod
    def _snapshot(self) -> Mapping[str, SessionRecord]:
        """Every record, as of now."""

    @abc.abstractmethod
    def _replace(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        """Atomically store ``fn(current)`` under ``name`` (``None`` removes it); return it."""

    def get(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``."""
        record = self.get_record(name)
        return record.session_id if record is not None else None

    def set(self, name: str, session_id: str) -> None:
        """Save ``session_id`` under ``name``, keeping the record's history, counters and
        ``last_usage`` (a new record when there is none).

        Raises:
            ValueError: ``name`` or ``session_id`` is not a string, or is empty or blank.
        """
        check_session_id(session_id)
        now = self._clock.time()
        self.update(name, lambda record: with_session_id(record, name, session_id, now))

    def delete(self, name: str) -> bool:
        """Forget ``name``; ``True`` if it existed."""
        existed = False

        def remove(record: SessionRecord | None) -> None:
            nonlocal existed
            existed = record is not None

        self.update(name, remove)
        return existed

    def all(self) -> dict[str, str]:
        """Every name and its thread id."""
        return {name: record.session_id for name, record in self._snapshot().items()}

    def get_record(self, name: str) -> SessionRecord | None:
        """The record saved under ``name``, or ``None``."""
        return self._snapshot().get(check_session_name(name))

    def set_record(self, name: str, record: SessionRecord) -> None:
        """Save ``record`` under ``name``, its history cut to ``max_turn_history``."""
        self.update(name, lambda _: record)

    def list_records(self) -> list[SessionRecord]:
        """Every record, sorted by name."""
        records = self._snapshot()
        return [records[name] for name in sorted(records)]

    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        """Replace the record under ``name`` by ``fn(current)`` in one atomic step (``None``
        deletes it); the new record, its history cut to ``max_turn_history``. ``fn`` may run
        while other writers wait: keep it quick and free of I/O."""
        check_session_name(name)

        def bounded(current: SessionRecord | None) -> SessionRecord | None:
            record = fn(current)
            return None if record is None else bound_history(record, self.max_turn_history)

        return self._replace(name, bounded)


def _check_max_turn_history(value: int) -> int:
    message = f"max_turn_history must be an int >= 0, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(message)
    if value < 0:
        raise ValueError(message)
    return value


def check_seconds(what: str, seconds: float) -> float:
    """``seconds`` as a float, if it is a number >= 0 (``math.inf`` waits as long as it takes;
    a negative one would mean that to ``filelock``, so it is refused).

    Raises:
        TypeError: not a number.
        ValueError: negative or NaN.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {seconds!r}")
    if not seconds >= 0:  # NaN too
        raise ValueError(f"{what} must be >= 0 (math.inf waits as long as it takes), got {seconds!r}")
    return float(seconds)


def corrupt_store_error(path: str, problem: str) -> SessionStoreCorruptError:
    """The error for a store ``path`` that cannot be read because of ``problem``."""
    return SessionStoreCorruptError(
        f"session store {path} cannot be read: {problem}. The file was left untouched; "
        "repair it, or move it away to start an empty store.",
        path=path,
    )


def write_atomically(path: str, content: bytes, *, prefix: str = ".tmp-", suffix: str = "") -> None:
    """Write ``content`` to ``path`` (its folder made if missing): a fsynced temporary file
    beside it (``prefix``, ``suffix``; mode 0600), then ``os.replace``, so a reader sees the
    old file or the new one whole."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
