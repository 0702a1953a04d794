"""The build's one addition to pyproject.toml: the wheel carries the guide's pages.

``codex-local docs export`` writes them for offline reading, but they live in docs/guide,
outside the package, where package data cannot reach. So ``build_py`` renders them (their
included examples resolved) into the built package's ``codex_local_sdk/cli/guide/``: the
wheel has them and git has no second copy. An editable install skips this; the command then
reads docs/ from the source tree. MANIFEST.in puts the files the pages need into the sdist.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _guide_pages() -> ModuleType:
    # By path: importing the package would need its dependencies, absent from the build env.
    path = ROOT / "codex_local_sdk" / "cli" / "guide_pages.py"
    spec = importlib.util.spec_from_file_location("guide_pages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithGuide(build_py):
    """``build_py``, then the guide's pages into the built package."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            _guide_pages().write_pages(ROOT, Path(self.build_lib) / "codex_local_sdk" / "cli" / "guide")


setup(cmdclass={"build_py": BuildPyWithGuide})
