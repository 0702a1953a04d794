"""A throwaway PostgreSQL server for the tests and the benchmark: a new cluster in a temporary
folder, listening only on a Unix socket in that folder, removed when it stops.

PostgreSQL refuses to run as root: as root, the cluster belongs to the ``postgres`` user and
its programs run as that user. A watchdog process stops the server and removes the folder
when the process that started it dies without stopping it (killed, or a crash), so a test run
never leaves a server behind.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.postgres_store import PostgresSessionStore

HOW_TO_GET_IT = (
    "install the PostgreSQL server programs (initdb, pg_ctl, postgres; Debian: apt-get install "
    "postgresql) and put their folder on PATH, e.g. /usr/lib/postgresql/15/bin"
)

FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
"""Settings for tests that need no durability, only speed: the cluster is thrown away."""


def find_binaries(search_path: str | None = None, debian: Path = Path("/usr/lib/postgresql")) -> Path | None:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``: on ``search_path``
    (default ``$PATH``), else in Debian's ``/usr/lib/postgresql/<version>/bin``."""
    found = shutil.which("pg_ctl", path=search_path)
    if found:
        folder = Path(os.path.realpath(found)).parent
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    for folder in sorted(debian.glob("*/bin"), reverse=True):
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def unavailable(search_path: str | None = None, debian: Path = Path("/usr/lib/postgresql")) -> str | None:
    """Why the PostgreSQL tests cannot run here, saying how to fix it; ``None`` if they can."""
    if find_binaries(search_path, debian) is None:
        return f"no PostgreSQL server programs found: {HOW_TO_GET_IT}"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'codex-local-sdk[postgres]' (make install does)"
    return None


def skip_unless_available() -> None:
    """Skips the calling test where PostgreSQL or psycopg is missing, saying how to get them;
    fails it in CI (``CI`` set), which must run the PostgreSQL tests."""
    import pytest

    reason = unavailable()
    if reason is not None and os.environ.get("CI"):
        pytest.fail(f"CI runs the PostgreSQL tests, but {reason}")
    if reason is not None:
        pytest.skip(reason)


class PostgresServer:
    """A new cluster in a temporary folder, started by :meth:`start`, removed by :meth:`remove`.

    Args:
        settings: server settings (``-c name=value``), e.g. :data:`FAST`.

    Attributes:
        folder: the cluster's folder; its socket is there too.
        dsn: how to connect (``host=<folder> dbname=postgres user=postgres``).
    """

    def __init__(self, settings: Mapping[str, str] | None = None) -> None:
        binaries = find_binaries()
        if binaries is None:
            raise RuntimeError(f"no PostgreSQL server programs found: {HOW_TO_GET_IT}")
        self._bin = binaries
        self._settings = dict(settings or {})
        self._owner = _server_user()
        self.folder = Path(tempfile.mkdtemp(prefix="codex-pg-"))
        self._data = self.folder / "data"
        self.dsn = f"host={self.folder} dbname=postgres user=postgres"
        self._watchdog: subprocess.Popen[bytes] | None = None
        try:
            if self._owner is not None:
                os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
            self._run("initdb", "-D", str(self._data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def start(self) -> PostgresServer:
        """Start the server and wait until it accepts connections (a few seconds)."""
        options = [f"-k {self.folder}", "-c listen_addresses=''"]
        options += [f"-c {name}={value}" for name, value in self._settings.items()]
        log = self.folder / "server.log"
        try:
            self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self._data),
                "-l",
                str(log),
                "-o",
                " ".join(options),
            )
        except subprocess.CalledProcessError as exc:
            said = log.read_text(errors="replace") if log.exists() else exc.stderr
            raise RuntimeError(f"PostgreSQL did not start in {self.folder}:\n{said[-3000:]}") from exc
        if self._watchdog is None:
            self._watchdog = self._start_watchdog()
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` as a crash would); the cluster stays for a restart."""
        self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self._data))

    def remove(self) -> None:
        """Stop the server if it runs, and remove its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self._data))
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(self._bin / program), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.folder,
            **self._as_owner(),
        )
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)

    def _as_owner(self) -> dict[str, Any]:
        if self._owner is None:
            return {}
        return {"user": self._owner.pw_uid, "group": self._owner.pw_gid, "extra_groups": []}

    def _start_watchdog(self) -> subprocess.Popen[bytes]:
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f'"$0" stop -m immediate -D "$1" >/dev/null 2>&1; rm -rf "$2"'
        )
        return subprocess.Popen(
            ["sh", "-c", script, str(self._bin / "pg_ctl"), str(self._data), str(self.folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C of the test run must not end it first
        )


def _server_user() -> pwd.struct_passwd | None:
    """The user the server runs as: ``postgres`` when this process is root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "PostgreSQL refuses to run as root, and there is no 'postgres' user to run it as"
        ) from None


@contextlib.contextmanager
def throwaway_server(settings: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """A started :class:`PostgresServer`, removed on the way out (also on an exception)."""
    server = PostgresServer(settings)
    try:
        yield server.start()
    finally:
        server.remove()


DSN_VARIABLE = "CODEX_TEST_POSTGRES_DSN"
"""The environment variable through which :func:`make_store` learns the server's DSN."""


def make_store(**options: Any) -> PostgresSessionStore:
    """A new, empty store on the server ``$CODEX_TEST_POSTGRES_DSN`` names, in a schema of its
    own: the factory for ``--store-factory tests.postgres_server:make_store``."""
    from adapters.postgres_store import PostgresSessionStore

    return PostgresSessionStore(os.environ[DSN_VARIABLE], schema=f"s_{uuid.uuid4().hex[:16]}", **options)


if __name__ == "__main__":  # a server for trying things by hand: prints its DSN, stops on Enter
    with throwaway_server() as running:
        print(running.dsn, flush=True)
        sys.stdin.readline()
