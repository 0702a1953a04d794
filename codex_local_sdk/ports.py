"""The ports: what the core needs from the outside world, as ``typing.Protocol`` classes.

Five of them. Each has a real adapter and a fake in ``adapters/``, and ``contract_tests/``
checks that every adapter keeps the contract written here.

* :class:`ProcessRunner` starts processes (sync and asyncio) and hands back handles.
* :class:`SessionStore` maps session names to Codex thread ids and keeps their records.
* :class:`Clock` tells time and sleeps, so retries and timeouts can run on a fake clock.
* :class:`EventSink` receives telemetry.
* :class:`ThreadArchive` keeps threads' rollouts off the machine, one writer per thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, runtime_checkable

import attrs

from .events import CodexClientEvent
from .sessions import SessionRecord


def _str_tuple(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


def run_file(name: str) -> str:
    """The argv entry that stands for the input file ``name``: ``"{file:NAME}"``.

    A runner replaces each argv entry equal to it (the whole entry, never a part) by the path
    where it wrote that file; see :attr:`ProcessSpec.input_files`.
    """
    return "{file:" + name + "}"


def resolve_run_files(argv: Iterable[str], paths: Mapping[str, str]) -> tuple[str, ...]:
    """``argv`` with each :func:`run_file` entry of a name in ``paths`` replaced by its path."""
    tokens = {run_file(name): path for name, path in paths.items()}
    return tuple(tokens.get(arg, arg) for arg in argv)


InputFiles = Mapping[str, bytes]


def _check_input_files(_: object, __: attrs.Attribute[InputFiles], files: InputFiles) -> None:
    for name, content in files.items():
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise ValueError(f"input file name {name!r} must be a plain file name (no '/')")
        if not isinstance(content, bytes):
            raise TypeError(f"input file {name!r} must be bytes, got {type(content).__name__}")


@attrs.frozen(kw_only=True)
class ProcessSpec:
    """What to start: argv (no shell, ever), stdin bytes, working directory, environment, and
    the files the run needs and makes.

    The runner owns every file of the run, because only it knows where the CLI runs (this
    host, a container, another machine): it writes :attr:`input_files` where the CLI can read
    them, checks :attr:`required_files` there, and reads :attr:`output_files` back after the
    exit (:meth:`ProcessHandle.output_file`). argv names an input file by the token
    :func:`run_file` makes, ``{file:NAME}``, as a whole argv entry. A token rather than a
    marker object keeps argv a tuple of strings: ``CodexExecResult.command``, logs, and a
    runner that only passes argv on all keep working, and an entry is replaced only when it
    equals the token of a declared name, so no other argument can be mistaken for one.

    Attributes:
        argv: the program and its arguments (any iterable of strings, stored as a tuple).
        stdin: bytes written to the child's stdin, which is then closed (never inherited).
        cwd: the working directory, ``None`` for the runner's own. With
            :class:`~adapters.subprocess_runner.SubprocessRunner`, a relative ``argv[0]``
            containing ``/`` is found from this directory.
        env: variables set on top of the runner's base environment (for
            :class:`~adapters.subprocess_runner.SubprocessRunner`, ``os.environ``). May hold
            secrets: its values never appear in ``repr``.
        env_allowlist: ``None``: the child inherits the runner's whole base environment.
            A tuple of names: only those variables of it (a name ending in ``*`` matches a
            prefix: ``"LC_*"``; one starting with ``!`` keeps out what a prefix let in:
            ``"!CODEX_LOCAL_*"``, unless another entry names the variable whole), with
            :attr:`env` on top; see :func:`child_env`.
        input_files: files the runner writes before the start, by name (a plain file name)
            -> content, e.g. ``{"output-schema.json": b'{"type": "object"}'}``; argv refers
            to each by ``run_file(name)``. The runner removes them when the handle closes,
            whatever the outcome. Only their names appear in ``repr``.
        output_files: paths the CLI writes, relative to ``cwd`` (or absolute); the runner
            makes their contents available after the exit (:meth:`ProcessHandle.output_file`).
        required_files: paths, relative to ``cwd`` (or absolute), of the images the CLI
            reads: the runner refuses to start, with a ``ValueError`` naming the image, when
            one is missing or is a directory.
    """

    argv: tuple[str, ...] = attrs.field(converter=_str_tuple)
    stdin: bytes = attrs.field(default=b"", repr=False)
    cwd: str | None = None
    env: Mapping[str, str] = attrs.field(factory=dict, repr=lambda env: repr(sorted(env)))
    input_files: Mapping[str, bytes] = attrs.field(
        factory=dict, validator=_check_input_files, repr=lambda files: repr(sorted(files))
    )
    output_files: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    required_files: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    env_allowlist: tuple[str, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_str_tuple)
    )


def child_env(base: Mapping[str, str], spec: ProcessSpec) -> dict[str, str]:
    """The environment of ``spec``'s child: ``base`` (the runner's own environment), cut to
    ``spec.env_allowlist`` when it has one, with ``spec.env`` on top."""
    allowlist = spec.env_allowlist
    if allowlist is None:
        return {**base, **spec.env}
    wanted = [name for name in allowlist if not name.startswith("!")]
    unwanted = [name[1:] for name in allowlist if name.startswith("!")]
    exact = {name for name in wanted if not name.endswith("*")}
    prefixes = tuple(name[:-1] for name in wanted if name.endswith("*"))
    excluded = {name for name in unwanted if not name.endswith("*")}
    excluded_prefixes = tuple(name[:-1] for name in unwanted if name.endswith("*"))

    def keeps(name: str) -> bool:
        if name in exact:
            return True
        unwanted_name = name in excluded or (bool(excluded_prefixes) and name.startswith(excluded_prefixes))
        return name.startswith(prefixes) and not unwanted_name

    return {**{name: value for name, value in base.items() if keeps(name)}, **spec.env}


class ProcessHandle(Protocol):
    """A started process (and its process group), seen from the synchronous side.

    Lifecycle duties: the caller reads with :meth:`read_lines` until it returns ``None``,
    then :meth:`wait`, and always calls :meth:`close` (also on errors and
    ``KeyboardInterrupt``). ``close`` must leave no process of the group alive and no pipe
    open, whatever state the process is in. ``terminate``, ``kill`` and ``close`` may be
    called from another thread than the reader's (a live run's timeout watchdog, a caller
    stopping a run from elsewhere).

    >>> handle = runner.start(ProcessSpec(argv=("codex", "exec", "--json", "-"), stdin=b"hi"))
    >>> try:
    ...     while (lines := handle.read_lines(timeout=5.0)) is not None:
    ...         for line in lines: ...
    ...     code = handle.wait(timeout=5.0)
    ... finally:
    ...     handle.close()
    """

    @property
    def pid(self) -> int | None:
        """The process id (also the group id), or ``None`` for a runner without real processes."""

    @property
    def returncode(self) -> int | None:
        """The exit code once the process was reaped (``-N`` for signal ``N``), else ``None``."""

    def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """Block until stdout has complete lines, stdout ends, or ``timeout`` seconds pass.

        Returns the new lines (without line endings), ``[]`` when the timeout passed first,
        or ``None`` once stdout is finished: at its end of file (the process may still run:
        :meth:`wait` tells), or when the process exited and its output was drained.
        Must not block longer than ``timeout``.

        Lines can be of any length, up to a cap the runner may set to bound its memory. A
        line that passes the cap is reported by one
        :class:`~codex_local_sdk._jsonl.OverlongLine` in its place, as soon as it passes
        (``LineFramer(max_line_bytes=...)`` does the framing and the reporting); the runner
        drops the rest of that line and goes on reading. The caller then ends the run
        (:meth:`terminate`) and reports it as ``"output_too_large"``. A runner without a cap
        never returns one, and works unchanged.
        """

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait up to ``timeout`` seconds (``None``: no limit) for the end.

        Returns:
            The exit code, or ``None`` if the process is still running.
        """

    def stderr_tail(self) -> bytes:
        """The last bytes of stderr (the runner bounds how many it keeps)."""

    def terminate(self, grace_seconds: float) -> None:
        """SIGTERM the whole group, SIGKILL it after ``grace_seconds``; return when it is gone."""

    def kill(self) -> None:
        """SIGKILL the whole group and reap the process; return when it is gone."""

    def close(self) -> None:
        """Kill whatever of the group is left, close the pipes, remove the run's input files,
        reap. Idempotent."""

    def output_file(self, name: str) -> bytes | None:
        """The content of ``name``, one of the spec's ``output_files``, as the CLI left it.

        Meant for after the exit (also after :meth:`close`); ``None`` when the CLI did not
        write it, or ``name`` is not one of the spec's ``output_files``.
        """


class AsyncProcessHandle(Protocol):
    """The asyncio twin of :class:`ProcessHandle`, with the same duties.

    Cancelling a task blocked in any of these methods must not leave the process running:
    the caller's ``finally`` awaits :meth:`close`, which must finish even when cancelled
    itself (it kills the group first, then reaps).

    A handle may also offer a synchronous ``discard()``: what :meth:`close` does, at once and
    without the event loop, safe from a finaliser on any thread and at interpreter exit. The
    client calls it for a live run garbage-collected unclosed; without it, it schedules
    :meth:`close` on the loop if that still runs, which the loop closing may cut short.
    """

    @property
    def pid(self) -> int | None:
        """The process id, or ``None`` for a runner without real processes."""

    @property
    def returncode(self) -> int | None:
        """The exit code once the process was reaped, else ``None``."""

    async def read_lines(self, timeout: float | None) -> list[bytes] | None:
        """As :meth:`ProcessHandle.read_lines`."""

    async def wait(self, timeout: float | None = None) -> int | None:
        """As :meth:`ProcessHandle.wait`."""

    def stderr_tail(self) -> bytes:
        """As :meth:`ProcessHandle.stderr_tail`."""

    async def terminate(self, grace_seconds: float) -> None:
        """As :meth:`ProcessHandle.terminate`."""

    async def kill(self) -> None:
        """As :meth:`ProcessHandle.kill`."""

    async def close(self) -> None:
        """As :meth:`ProcessHandle.close`."""

    def output_file(self, name: str) -> bytes | None:
        """As :meth:`ProcessHandle.output_file` (synchronous: the content is read back by
        the time the process has exited)."""


class ProcessRunner(Protocol):
    """Starts processes. The client never touches ``subprocess`` itself, nor the run's files.

    ``start`` and ``start_async`` raise
    :class:`~codex_local_sdk.errors.CodexNotInstalledError` when ``argv[0]`` is not found,
    ``ValueError`` when one of the spec's ``required_files`` is missing or a directory, and
    :class:`~codex_local_sdk.errors.CodexSpawnError` for any other failure to start.

    A runner may also offer ``find_program(spec) -> str | None``: where :meth:`start` would
    find ``spec.argv[0]`` (with the spec's environment), or ``None`` when it would raise
    :class:`~codex_local_sdk.errors.CodexNotInstalledError`; a quick look-up, never a run.
    :meth:`CodexLocalClient.is_available` asks it. A runner without it (a container or
    remote runner written before) still works: the client then runs ``argv[0] --version``
    through :meth:`start` and reads a start that raises ``CodexNotInstalledError`` as "not
    found".

    A runner honours :attr:`ProcessSpec.env_allowlist` (:func:`child_env` does it for a local
    environment); one written before that field gives the child its whole environment.

    Attributes:
        handles_run_files: ``True``: the runner writes the spec's ``input_files``, checks its
            ``required_files`` and its handles have ``output_file``. A runner without it
            (written for the port before files moved here) still works: the client wraps it
            in :class:`~adapters.local_files.LocalFilesRunner`, which handles the files on
            this machine, and warns once with a ``DeprecationWarning``.
    """

    handles_run_files: bool

    def start(self, spec: ProcessSpec) -> ProcessHandle:
        """Start ``spec`` in a new process group, write its stdin and close it.

        Returns:
            The handle of the started process.

        Raises:
            CodexNotInstalledError: ``argv[0]`` was not found.
            CodexSpawnError: any other failure to start.
        """

    async def start_async(self, spec: ProcessSpec) -> AsyncProcessHandle:
        """Start ``spec`` for asyncio use, without a thread per process; as :meth:`start`.

        Returns:
            The asyncio handle of the started process.

        Raises:
            CodexNotInstalledError: ``argv[0]`` was not found.
            CodexSpawnError: any other failure to start.
        """


@runtime_checkable
class Clock(Protocol):
    """Time, for retries and timeouts. A fake one makes them instant in tests."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (for timestamps)."""

    def monotonic(self) -> float:
        """Monotonic seconds (for durations and deadlines)."""

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""

    async def sleep_async(self, seconds: float) -> None:
        """Suspend the current task for ``seconds``."""


@runtime_checkable
class EventSink(Protocol):
    """Receives telemetry. ``emit`` must not raise; adapters log their own failures.

    A sink may also have ``wants(event_type: str) -> bool``: a live run asks it once, as it
    starts, and builds its ``live.event`` events (one per CLI event, the one frequent type)
    only when it returned ``True``. Without it, every event is sent.
    """

    def emit(self, event: CodexClientEvent) -> None:
        """Take one event."""


RecordUpdate = Callable[[SessionRecord | None], SessionRecord | None]
"""``update``'s function: the current record (or ``None``) -> the new one (``None`` deletes)."""


class SessionStore(Protocol):
    """Maps session names to Codex thread ids and keeps each session's record.

    Names are any non-empty strings (unicode included); ``set`` raises ``ValueError`` for an
    empty or blank one, and for an empty or blank thread id (the built-in stores check every
    name). ``get``/``set``/``delete``/``all`` are the simple name -> id view; the record
    methods see the whole :class:`~codex_local_sdk.sessions.SessionRecord`. ``update`` is one atomic
    read-modify-write: stores shared by threads or processes must make it so, because the
    client records every turn through it. A store that subclasses this protocol without
    writing ``update``, or has none at all (stores written for codex-local-sdk-python 0.1.4),
    gets the default below: ``get_record`` then ``set_record``, not atomic.

    A store that cannot read or write raises
    :class:`~codex_local_sdk.errors.SessionStoreError` (or a subclass); the client passes it
    on with the unrecorded turn's result attached, and wraps anything else a store raises
    while recording in one.
    """

    def get(self, name: str) -> str | None:
        """The thread id saved under ``name``, or ``None``."""

    def set(self, name: str, session_id: str) -> None:
        """Save ``session_id`` under ``name``, keeping the record's history and counters."""

    def delete(self, name: str) -> bool:
        """Forget ``name``; ``True`` if it existed."""

    def all(self) -> dict[str, str]:
        """Every name and its thread id."""

    def get_record(self, name: str) -> SessionRecord | None:
        """The record saved under ``name``, or ``None``."""

    def set_record(self, name: str, record: SessionRecord) -> None:
        """Save ``record`` under ``name`` (its history is cut to the store's bound)."""

    def list_records(self) -> list[SessionRecord]:
        """Every record, sorted by name."""

    def update(self, name: str, fn: RecordUpdate) -> SessionRecord | None:
        """Atomically replace the record under ``name`` by ``fn(current)`` (``None`` deletes it).

        This default reads with :meth:`get_record` and writes with :meth:`set_record` (or
        :meth:`delete`): it is not atomic, so two writers, in two threads or two processes,
        can lose one another's turn. A store shared by several writers overrides it.

        Returns:
            The new record (its history cut to the store's bound; this default returns it as
            ``fn`` made it), or ``None``.
        """
        current = self.get_record(name)
        record = fn(current)
        if record is not None:
            self.set_record(name, record)
        elif current is not None:
            self.delete(name)
        return record


def update_record(store: SessionStore, name: str, fn: RecordUpdate) -> SessionRecord | None:
    """``store.update(name, fn)``, or :meth:`SessionStore.update`'s non-atomic default for a
    store without ``update`` (one written for codex-local-sdk-python 0.1.4)."""
    if hasattr(store, "update"):
        return store.update(name, fn)
    return SessionStore.update(store, name, fn)


@attrs.frozen
class ThreadLease:
    """The right to write one thread's rollout to a :class:`ThreadArchive`, for a while.

    Attributes:
        thread_id: the thread it covers.
        token: the fencing token: every lease taken on a thread has a larger one than the
            lease before it, so an archive refuses a save that carries an older token.
    """

    thread_id: str
    token: int


class ThreadArchive(Protocol):
    """Keeps threads' rollouts off the machine, so that any worker can continue any thread,
    one writer at a time.

    The Codex CLI keeps a thread as one file in its ``CODEX_HOME``:
    ``sessions/YYYY/MM/DD/rollout-<timestamp>-<thread_id>.jsonl``. An archive copies that file
    out after each turn (:meth:`save`) and back, to the same relative path, into a
    ``CODEX_HOME`` that lacks it or holds a different copy (an older one, or one whose history
    went another way) before the thread's next turn (:meth:`restore`); the CLI then continues
    the thread with its whole history. The relative path is kept because the CLI indexes its
    rollouts by it.

    ``codex_home`` is the child's ``CODEX_HOME``; ``None`` means the archive's own process
    environment decides it (``$CODEX_HOME``, else ``~/.codex``), as for a child that inherits it.

    A turn of an archived thread runs under its lease (:meth:`acquire`): one worker at a time,
    across machines. The archive renews a lease it gave in the background until
    :meth:`release`; a worker that dies leaves it to expire after :attr:`lease_seconds`. A save
    whose lease was lost (it expired and another worker took the thread) is refused with
    :class:`~codex_local_sdk.errors.CodexThreadBusyError`, so it never overwrites a newer rollout;
    and a turn whose :meth:`renew` finds its lease lost has its CLI killed at once.
    """

    lease_seconds: float
    """How long a lease lasts unless renewed (a dead worker's lease is free after it)."""

    lease_wait_seconds: float
    """How long a turn waits for another worker's lease before it fails as busy."""

    def acquire(self, thread_id: str) -> ThreadLease | None:
        """Take the lease on ``thread_id`` and keep it renewed; ``None`` when another holds it."""

    def renew(self, lease: ThreadLease) -> bool:
        """Extend ``lease`` by :attr:`lease_seconds`; ``False`` if it was lost (released, or
        another worker took the thread after it expired; a lease that expired while the
        archive was away, and that nobody took, is renewed). A turn calls it every third of
        ``lease_seconds`` while its CLI runs, and kills the CLI on ``False``."""

    def release(self, lease: ThreadLease) -> None:
        """Stop renewing ``lease`` and free the thread (nothing if it was already lost)."""

    def restore(self, thread_id: str, codex_home: str | None) -> int | None:
        """Copy the archived rollout of ``thread_id`` into ``codex_home`` where it is missing or
        different there (judged by content, never by size); the size of the rollout written,
        or ``None`` when nothing needed copying."""

    def save(self, lease: ThreadLease, codex_home: str | None) -> int | None:
        """Copy the rollout of ``lease.thread_id`` out of ``codex_home`` (atomically); its size,
        or ``None`` when ``codex_home`` holds no rollout of that thread, or an empty one (which
        never replaces an archived rollout).

        Raises:
            CodexThreadBusyError: ``lease`` is no longer the thread's (its ``result`` is ``None``).
        """

    def threads(self) -> list[str]:
        """The ids of every archived thread, sorted."""

    def delete(self, thread_id: str) -> bool:
        """Forget the archived rollout of ``thread_id``; ``True`` if there was one."""
