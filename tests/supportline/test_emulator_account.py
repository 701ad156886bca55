"""The emulator's account has the server's lines, read from its database each time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from auth.models import Role
from core.database import get_sessionmaker, make_engine
from groups import service as groups_service
from groups.schemas import LineCreate
from supportline.emulator_account import line_numbers
from tests.factories import create_staff


def test_the_accounts_numbers_are_the_lines_also_those_added_later(own_database: Path) -> None:
    sessions = get_sessionmaker()
    assert line_numbers(sessions) == frozenset()
    with sessions.begin() as session:
        admin = create_staff(session, Role.admin)
        data = LineCreate(number="+48221234567", language="pl")
        groups_service.create_line(session, actor=admin, data=data)
    assert line_numbers(sessions) == {"+48221234567"}


def test_a_database_without_the_lines_gives_no_numbers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert line_numbers(sessionmaker(bind=empty)) == frozenset()
    assert "emulator.lines_unreadable" in caplog.messages
    empty.dispose()
