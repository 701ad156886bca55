"""``supportline demo`` leaves one of Warszawa's coming seats waiting for cover, once however
often it runs, so the cover page has something to show."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.database import get_sessionmaker
from helpline import cover
from helpline.models import ContactPoint
from supportline import demo

MONDAY_NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_the_demo_leaves_one_seat_waiting_for_cover(own_database: Path) -> None:
    for _ in range(2):
        with get_sessionmaker().begin() as session:
            demo.seed(session, now=MONDAY_NOON, meeting_now=False)
    with get_sessionmaker().begin() as session:
        warszawa = session.scalar(select(ContactPoint).where(ContactPoint.name == "Warszawa"))
        assert warszawa is not None
        [waiting] = cover.open_requests(session, warszawa, now=MONDAY_NOON)
        assert waiting.shift.starts_at > MONDAY_NOON and waiting.reason == "unfilled"
