"""JsonFileSessionStore: session records in one JSON file, safe across threads and processes.

The file, a line per record::

    {"schema_version": 3, "records": {
    "ticket-4711": {"created_at": ..., "name": "ticket-4711", "session_id": ..., ...},
    "nightly-review": {...}
    }}

A legacy file — a flat ``{name: session_id}`` object — is migrated to version 3 the first
time the store reads it. A version 2 file, written by an earlier codex-local-sdk or by
codex-local-sdk-python 0.1.4 (each record's name under ``session_name``, ``null`` previews
and durations, no ``succeeded`` per turn), is read as it is and rewritten as version 3 by
the next change; reading leaves it as it is.

Every change is one locked read-modify-write: a lock file beside the store serialises
processes (a :class:`~adapters.process_lock.ProcessLock`: ``flock``, as ``filelock`` takes it,
but waited for in the kernel and behind a turnstile, so that under contention no writer
waits much longer than the others), a thread lock serialises threads, the file is re-read under
the lock, and the new content is written to a temporary file in the same folder, flushed,
fsynced and moved over the old one with ``os.replace`` (then the folder is fsynced). A
reader therefore sees the old file or the new one, never a torn one, and a crash mid-write
loses nothing that was written before.

A store reached through symbolic links (``sessions.json -> /volume/sessions.json``, or a
linked folder) reads, locks and replaces the file the links point to, so the links stay and
every path to the file shares one lock. A link into a folder that does not exist (a volume
that is not mounted) is refused with :class:`~codex_local_sdk.errors.SessionStoreError`
rather than written beside it.

A file this code cannot read — not JSON, not a store, or from a newer schema — raises
:class:`~codex_local_sdk.errors.SessionStoreCorruptError` or
:class:`~codex_local_sdk.errors.SessionStoreSchemaError` and is never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import cattrs
import cattrs.gen

from codex_local_sdk.errors import (
    SessionStoreError,
    SessionStoreLockTimeout,
    SessionStoreSchemaError,
)
from codex_local_sdk.ports import Clock, RecordUpdate
from codex_local_sdk.sessions import SessionRecord, SessionTurnRecord, with_session_id

from .process_lock import ProcessLock, ProcessLockTimeout
from .store_base import SessionStoreBase, check_seconds, corrupt_store_error, write_atomically

SCHEMA_VERSION = 3
"""The file format this code writes, and the newest it reads."""
READS_FROM = 2
"""The oldest ``schema_version`` the store reads: version 3 added the records' optional
``parent_session_id``, ``launch_options`` and ``metadata``, so a version 2 file reads as it is."""
_PREVIEWS = frozenset({"prompt_preview", "message_preview"})


def _reading_0_1_4_records(converter: cattrs.Converter) -> cattrs.Converter:
    """``converter``, also structuring the records of codex-local-sdk-python 0.1.4's version 2
    files: the name under ``session_name``, and ``null`` for an empty preview. Its ``null``
    durations need nothing (ours may be ``None`` too), and its turns' missing ``succeeded``
    is worked out from ``return_code`` and ``turn_status``."""
    turn_fields = cattrs.gen.make_dict_structure_fn(SessionTurnRecord, converter)

    def structure_turn(raw: Any, cls: type[SessionTurnRecord]) -> SessionTurnRecord:
        if isinstance(raw, dict):
            raw = {key: "" if value is None and key in _PREVIEWS else value for key, value in raw.items()}
        return turn_fields(raw, cls)

    converter.register_structure_hook(SessionTurnRecord, structure_turn)
    record_fields = cattrs.gen.make_dict_structure_fn(SessionRecord, converter)

    def structure_record(raw: Any, cls: type[SessionRecord]) -> SessionRecord:
        if isinstance(raw, dict) and "name" not in raw and "session_name" in raw:
            raw = {**raw, "name": raw["session_name"]}
        return record_fields(raw, cls)

    converter.register_structure_hook(SessionRecord, structure_record)
    return converter


def _writing_only_what_is_set(converter: cattrs.Converter) -> cattrs.Converter:
    """``converter``, writing ``parent_session_id`` only for a forked session, and
    ``launch_options`` and ``metadata`` only when not empty.

    A record without them is written as version 2 wrote it, so most lines stay as short
    as they were."""
    omitted = cattrs.gen.override(omit_if_default=True)
    unstructure = cattrs.gen.make_dict_unstructure_fn(
        SessionRecord, converter, parent_session_id=omitted, launch_options=omitted, metadata=omitted
    )
    converter.register_unstructure_hook(SessionRecord, unstructure)
    return converter


_converter = _writing_only_what_is_set(_reading_0_1_4_records(cattrs.Converter(forbid_extra_keys=False)))
_to_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def decode_payload(text: str, path: str, now: float) -> tuple[dict[str, SessionRecord], bool]:
    """The records in a store file's text, and whether it was a legacy file (to migrate).

    Args:
        text: the file's content.
        path: the file, for error messages.
        now: the ``created_at``/``updated_at`` of records migrated from a legacy file.

    Returns:
        The records by name, and ``True`` for a legacy ``{name: session_id}`` file.

    Raises:
        SessionStoreCorruptError: the text is not a session store.
        SessionStoreSchemaError: the store has a newer ``schema_version``.
    """
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise corrupt_store_error(path, f"it is not valid JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise corrupt_store_error(path, f"it holds a JSON {type(payload).__name__}, not an object")
    if "schema_version" not in payload:
        return _legacy_records(payload, path, now), True
    version = payload["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise corrupt_store_error(path, f"its schema_version is {version!r}, not an integer")
    if version > SCHEMA_VERSION:
        raise SessionStoreSchemaError(
            f"session store {path} has schema_version {version}, newer than this codex_local_sdk "
            f"understands ({SCHEMA_VERSION}); upgrade codex-local-sdk to read it. The file was "
            "left untouched.",
            path=path,
        )
    records = payload.get("records")
    if version < READS_FROM or not isinstance(records, dict):
        raise corrupt_store_error(path, f"schema_version {version} without a 'records' object")
    structured = {}
    for name, raw in records.items():
        try:
            structured[name] = _converter.structure(raw, SessionRecord)
        except cattrs.BaseValidationError as exc:
            problems = "; ".join(cattrs.transform_error(exc, path=f"records[{json.dumps(name)}]"))
            raise corrupt_store_error(path, f"a record does not match the schema: {problems}") from None
        except (TypeError, ValueError, KeyError) as exc:
            raise corrupt_store_error(path, f"record {name!r} does not match the schema ({exc})") from None
    return structured, False


def encode_payload(records: Mapping[str, SessionRecord]) -> str:
    """The file text for ``records``: schema version 3, one record per line, names and keys
    sorted, ending with a newline.

    A line per record keeps the file easy to grep and to diff (a turn changes one line), and
    lets CPython's C encoder do the work: ``indent`` would switch ``json`` to its pure-Python
    encoder, three times slower on a store of 10,000 sessions.
    """
    entries = ",\n".join(
        f"{_to_json(name)}: {_to_json(_converter.unstructure(records[name]))}" for name in sorted(records)
    )
    return f'{{"schema_version": {SCHEMA_VERSION}, "records": {{\n' + (entries and entries + "\n") + "}}\n"


def _legacy_records(payload: dict[str, Any], path: str, now: float) -> dict[str, SessionRecord]:
    if not all(isinstance(value, str) for value in payload.values()):
        raise corrupt_store_error(path, "it has no schema_version and is not a legacy {name: session_id} map")
    return {name: with_session_id(None, name, session_id, now) for name, session_id in payload.items()}


class JsonFileSessionStore(SessionStoreBase):
    """A :class:`~codex_local_sdk.ports.SessionStore` in one JSON file (schema version 3; it
    reads version 2 too, and writes it as version 3 on the next change).

    Every method may raise :class:`~codex_local_sdk.errors.SessionStoreCorruptError` (the
    file is not a valid store), :class:`~codex_local_sdk.errors.SessionStoreSchemaError`
    (it has a newer schema), :class:`~codex_local_sdk.errors.SessionStoreLockTimeout`
    (another process held the lock too long) or
    :class:`~codex_local_sdk.errors.SessionStoreError` (the system refused to read or write
    the file, its lock or its folder: permissions, a full disk, a file where a folder should be).

    Args:
        path: the store file; its folder is created on the first write. ``file_path=`` (its
            name in codex-local-sdk-python 0.1.4) is accepted instead. Symbolic links on
            the way are resolved once, here: the store reads and replaces the file they
            point to (a dangling link gets its target created), and the lock file is
            ``<target>.lock``, beside that file. A link whose target folder does not exist
            is refused on write (``SessionStoreError``): the folder is never created
            through a link.
        max_turn_history: how many recent turns each record keeps (counters count all).
        lock_timeout_seconds: how long to wait for the cross-process lock: ``0`` tries once,
            ``math.inf`` waits as long as it takes.
        clock: where ``set`` and migration read the time.

    Attributes:
        path: the store file, as given.
        SCHEMA_VERSION: the file format this store writes, and the newest it reads.

    Raises:
        ValueError: an empty ``path``, a negative ``max_turn_history``, or a negative or NaN
            ``lock_timeout_seconds``.
        TypeError: an argument of the wrong type, or the file given as neither or both of
            ``path`` and ``file_path``.
    """

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        max_turn_history: int = 50,
        *,
        file_path: str | os.PathLike[str] | None = None,
        lock_timeout_seconds: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(max_turn_history=max_turn_history, clock=clock)
        path = _one_path(path, file_path)
        if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
            raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
        if not os.fspath(path):
            raise ValueError(f"path must name the store file, got {path!r}")
        check_seconds("lock_timeout_seconds", lock_timeout_seconds)
        self.path = Path(path)
        self._file = Path(os.path.realpath(path))
        self._through_link = self._file != Path(os.path.abspath(path))
        self._lock_path = f"{self._file}.lock"
        # The thread lock serialises this process's threads; the file lock, processes.
        self._file_lock = ProcessLock(self._lock_path, lock_timeout_seconds)
        self._thread_lock = threading.RLock()
        self._depth = 0  # how deep the thread holding both locks is in _locked (a store call in fn)
        self._writes = 0  # files written by this store object

    def __repr__(self) -> str:
        return f"JsonFileSessionStore({str(self.path)!r})"

    @property
    def file_path(self) -> str:
        """:attr:`path` as a string, codex-local-sdk-python 0.1.4's attribute."""
        return os.fspath(self.path)

    def _snapshot(self) -> Mapping[str, SessionRecord]:
        """The records; a legacy file is migrated (written back as v3) on the way."""
        records, legacy = self._load()
        if legacy:
            with self._locked():
                records, legacy = self._load()
                if legacy:
                    self._write(records)
        return records

    def _replace(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        with self._locked():
            records, _ = self._load()
            current = records.get(name)
            writes = self._writes
            record = fn(current)
            if self._writes != writes:  # fn wrote through this store: keep what it wrote
                records, _ = self._load()
            if record is not None:
                records[name] = record
            elif current is not None:
                del records[name]
            else:
                return None
            self._write(records)
            return record

    # -- file access ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._check_link_target()
        with self._thread_lock:
            if self._depth:  # this thread holds the file lock already: ProcessLock does not nest
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                self._file_lock.acquire()
            except ProcessLockTimeout:
                raise SessionStoreLockTimeout(
                    f"could not lock session store {self.path} within "
                    f"{self._file_lock.timeout} s: another process holds {self._lock_path}. "
                    "Retry later, or raise lock_timeout_seconds.",
                    path=str(self.path),
                ) from None
            except OSError as exc:
                raise self._os_error("lock", exc) from exc
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                self._file_lock.release()

    def _check_link_target(self) -> None:
        """Refuse to write through a link into a missing folder: locking and writing would
        create it, and the data would land beside the volume the link was meant to reach."""
        if self._through_link and not self._file.parent.is_dir():
            raise SessionStoreError(
                f"could not write session store {self.path}: it is a link to {self._file}, whose "
                "folder does not exist. Nothing was written; mount the volume it points to, or fix the link.",
                path=str(self.path),
            )

    def _os_error(self, action: str, exc: OSError) -> SessionStoreError:
        culprit = f" ({exc.filename})" if exc.filename and exc.filename != str(self.path) else ""
        return SessionStoreError(
            f"could not {action} session store {self.path}: {exc.strerror or exc}{culprit}. "
            "Check that its folder exists or can be created, and that this process may read and write there.",
            path=str(self.path),
        )

    def _load(self) -> tuple[dict[str, SessionRecord], bool]:
        try:
            text = self._file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, False
        except UnicodeDecodeError as exc:
            raise corrupt_store_error(str(self.path), f"it is not UTF-8 text ({exc})") from None
        except OSError as exc:
            raise self._os_error("read", exc) from exc
        return decode_payload(text, str(self.path), self._clock.time())

    def _write(self, records: Mapping[str, SessionRecord]) -> None:
        self._writes += 1
        try:
            self._write_atomically(encode_payload(records).encode("utf-8"))
        except OSError as exc:
            raise self._os_error("write", exc) from exc

    def _write_atomically(self, data: bytes) -> None:
        write_atomically(str(self._file), data, prefix=f".{self._file.name}.", suffix=".tmp")
        _fsync_folder(self._file.parent)


def _one_path(
    path: str | os.PathLike[str] | None, file_path: str | os.PathLike[str] | None
) -> str | os.PathLike[str]:
    given = [p for p in (path, file_path) if p is not None]
    if len(given) != 1:
        raise TypeError(
            "JsonFileSessionStore takes the store file once, as path (or file_path=, its former name); "
            f"got {'both' if given else 'neither'}"
        )
    return given[0]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
