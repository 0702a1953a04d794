"""Writing a folder of files all at once: complete, or not at all."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import UsageError

if TYPE_CHECKING:
    from importlib.abc import Traversable  # importlib.resources.abc from Python 3.11 on


def write_folder(target: Path, fill: Callable[[Path], None], *, force: bool) -> Path:
    """Create ``target`` with what ``fill`` writes into an empty folder.

    ``fill`` writes into a temporary folder beside ``target``, which then takes its place, so
    a failure leaves no half-written folder and ``--force`` replaces the old one whole (no
    file of an older version is left behind).

    Args:
        target: the folder to create.
        fill: writes the files into the folder it is given.
        force: replace ``target`` if it exists.

    Returns:
        ``target``.

    Raises:
        UsageError: ``target`` exists and ``force`` is false, or it is a file.
    """
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; pass --force to replace it")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file, not a folder; remove it or choose another place")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()  # with the umask's permissions, as the folder it becomes
    retired = staging.with_name(staging.name + "-old")
    try:
        fill(staging)
        if target.exists():
            target.rename(retired)  # kept until the new folder is in place
        staging.rename(target)
    except BaseException:
        if retired.exists() and not target.exists():
            retired.rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)
    return target


def copy_tree(source: Traversable, target: Path) -> None:
    """Copy the files under ``source`` (package data) into the existing folder ``target``.

    Python's own files of the package (``__init__.py``, ``__pycache__``) are not copied; a
    file that starts with ``#!`` is made executable.
    """
    for child in source.iterdir():
        if child.name in ("__init__.py", "__pycache__"):
            continue
        if child.is_dir():
            (target / child.name).mkdir()
            copy_tree(child, target / child.name)
            continue
        content = child.read_bytes()
        (target / child.name).write_bytes(content)
        if content.startswith(b"#!"):
            (target / child.name).chmod(0o755)
