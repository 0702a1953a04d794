"""The files of a run on this machine, and the wrapper that gives them to an older runner.

:class:`LocalFiles` is what :class:`~adapters.subprocess_runner.SubprocessRunner` does with
a :class:`~codex_local_sdk.ports.ProcessSpec`'s files: it checks the required files, writes
the input files into a private temporary directory (mode 0700, files 0600), puts their paths
into argv, reads output files back, and removes the directory when the run is closed.

:class:`LocalFilesRunner` does the same around a runner written for the port before files
moved behind it (one without ``handles_run_files``): the client wraps such a runner itself
(:func:`handling_run_files`), with a ``DeprecationWarning`` once per runner class.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import attrs

from codex_local_sdk.ports import (
    AsyncProcessHandle,
    ProcessHandle,
    ProcessRunner,
    ProcessSpec,
    resolve_run_files,
)

__all__ = ["LocalFiles", "LocalFilesRunner", "check_required_files", "handling_run_files"]


def check_required_files(spec: ProcessSpec) -> None:
    """Refuse a spec whose required files (the images) are not files, before anything starts.

    Raises:
        ValueError: one is missing or is a directory; the message names it.
    """
    cwd = spec.cwd or os.getcwd()
    for name in spec.required_files:
        path = Path(cwd, name)
        if path.is_file():
            continue
        problem = "is a directory" if path.is_dir() else "does not exist"
        raise ValueError(f"image {name!r} {problem} (looked in {cwd!r}): pass the path of an image file")


class LocalFiles:
    """The files of one run, on this machine. Always :meth:`remove` them.

    Args:
        spec: the run; its required files are checked, then its input files written.

    Attributes:
        argv: ``spec.argv`` with the input files' paths in place of their tokens.

    Raises:
        ValueError: a required file is missing or a directory.
        OSError: an input file could not be written (nothing is left behind).
    """

    def __init__(self, spec: ProcessSpec) -> None:
        check_required_files(spec)
        self._cwd = spec.cwd or os.getcwd()
        self._outputs = frozenset(spec.output_files)
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        paths: dict[str, str] = {}
        if spec.input_files:
            self._dir = tempfile.TemporaryDirectory(prefix="codex-run-")  # mkdtemp: mode 0700
            try:
                for name, content in spec.input_files.items():
                    paths[name] = _write_private(os.path.join(self._dir.name, name), content)
            except BaseException:
                self.remove()
                raise
        self.argv = resolve_run_files(spec.argv, paths)

    @property
    def directory(self) -> str | None:
        """The private directory of the input files, ``None`` when the run has none."""
        return None if self._dir is None else self._dir.name

    def output_file(self, name: str) -> bytes | None:
        """The content of the output file ``name`` (relative to the run's cwd), or ``None``
        when it is not a file, or not one of the spec's ``output_files``."""
        path = Path(self._cwd, name)
        return path.read_bytes() if name in self._outputs and path.is_file() else None

    def remove(self) -> None:
        """Remove the input files and their directory. Idempotent."""
        if self._dir is not None:
            self._dir.cleanup()


def _write_private(path: str, content: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(content)
    return path


class LocalFilesRunner:
    """A runner written for the older port, with the run's files handled on this machine.

    Each start writes the input files locally (see :class:`LocalFiles`), hands ``inner`` a
    spec with their paths in argv and no files left to handle, and wraps its handle so that
    :meth:`close` also removes the files and ``output_file`` reads them locally.

    Args:
        inner: the runner to wrap.
    """

    handles_run_files = True

    def __init__(self, inner: ProcessRunner) -> None:
        self.inner = inner

    def start(self, spec: ProcessSpec) -> ProcessHandle:
        """Write the files, then ``inner.start`` the spec; see :class:`LocalFiles`."""
        files = LocalFiles(spec)
        try:
            return _LocalFilesHandle(self.inner.start(_plain(spec, files)), files)
        except BaseException:
            files.remove()
            raise

    async def start_async(self, spec: ProcessSpec) -> AsyncProcessHandle:
        """As :meth:`start`, with ``inner.start_async``."""
        files = LocalFiles(spec)
        try:
            return _AsyncLocalFilesHandle(await self.inner.start_async(_plain(spec, files)), files)
        except BaseException:
            files.remove()
            raise


def _plain(spec: ProcessSpec, files: LocalFiles) -> ProcessSpec:
    return attrs.evolve(spec, argv=files.argv, input_files={}, output_files=(), required_files=())


class _FilesHandle:
    """An inner handle, with the run's files: ``output_file`` reads them here, and the
    subclass's ``close`` also removes them. Every other member is the inner handle's."""

    def __init__(self, inner: ProcessHandle | AsyncProcessHandle, files: LocalFiles) -> None:
        self._inner = inner
        self._files = files

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def output_file(self, name: str) -> bytes | None:
        return self._files.output_file(name)


class _LocalFilesHandle(_FilesHandle):
    _inner: ProcessHandle

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._files.remove()


class _AsyncLocalFilesHandle(_FilesHandle):
    _inner: AsyncProcessHandle

    async def close(self) -> None:
        try:
            await self._inner.close()
        finally:
            self._files.remove()


_warned: set[type] = set()


def handling_run_files(runner: ProcessRunner) -> ProcessRunner:
    """``runner``, or, when it does not handle the run's files itself (no
    ``handles_run_files``), ``runner`` in a :class:`LocalFilesRunner`, with a
    ``DeprecationWarning`` once per runner class."""
    if getattr(runner, "handles_run_files", False):
        return runner
    kind = type(runner)
    if kind not in _warned:
        _warned.add(kind)
        warnings.warn(
            f"{kind.__qualname__} is a ProcessRunner of the older port: the client now writes the"
            " run's input files and reads its output files on this machine for it. Set"
            " `handles_run_files = True` on it once it writes ProcessSpec.input_files, checks"
            " required_files and its handles have output_file(name) (a runner that passes specs"
            " to SubprocessRunner only needs the attribute); see the migrating guide",
            DeprecationWarning,
            stacklevel=3,
        )
    return LocalFilesRunner(runner)
