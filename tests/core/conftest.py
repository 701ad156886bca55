"""A database of its own for code that commits for real (the CLI, the demo, the leak test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import migrate, pii, security
from core.database import forget_engines
from core.settings import get_settings


def forget_settings() -> None:
    """Drop everything derived from the settings, so the next use reads the environment again."""
    forget_engines()
    for cached in (get_settings, security.get_hasher):
        cached.cache_clear()
    security.dummy_hash.cache_clear()
    pii.reset_caches()


@pytest.fixture
def own_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, migrated SQLite file configured as *the* database, and a data dir beside it."""
    path = tmp_path / "supportline.db"
    monkeypatch.setenv("SUPPORTLINE_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SUPPORTLINE_DATA_DIR", str(tmp_path))
    forget_settings()
    migrate.upgrade()
    yield path
    forget_settings()
