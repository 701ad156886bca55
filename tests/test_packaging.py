"""The installed program carries every package of the repository: a new domain package left out
of pyproject's list works in the tests (run from the checkout) and fails as ``supportline``."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_INSTALLED = {"tests", "bench", "scripts"}


def test_every_package_of_the_repository_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_INSTALLED
    }
    left_out = sorted(name for name in packages if not any(fnmatch(name, p) for p in include))
    assert left_out == []
