"""``supportline demo`` seeds a rota at Bielsko-Biała (next month generated, its groups told)
and a candidate with a mentor at Warszawa, once however often it runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from core.database import get_sessionmaker
from helpline import mentoring, rota
from helpline.models import CandidacyStatus, ContactPoint, RotaAssignment
from supportline import demo

MONDAY_NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_the_demo_has_a_rota_and_a_candidate(own_database: Path) -> None:
    for _ in range(2):
        with get_sessionmaker().begin() as session:
            demo.seed(session, now=MONDAY_NOON, meeting_now=False)

    with get_sessionmaker().begin() as session:
        bielsko = session.scalars(
            select(ContactPoint).where(ContactPoint.name == "Bielsko-Biała")
        ).one()
        warszawa = session.scalars(
            select(ContactPoint).where(ContactPoint.name == "Warszawa")
        ).one()
        april = rota.month_shifts(session, bielsko, date(2026, 4, 1))
        names = [row.group.name for row in april if row.group is not None]
        assert len(names) == len(april) > 20  # every shift of April has its group
        assert set(names) == {"Grupa Jedność", "Grupa Nadzieja", "Grupa Pogodna"}  # 3 of 4
        assert session.scalar(select(func.count()).select_from(RotaAssignment)) == len(april)
        [candidacy] = mentoring.candidates(session, warszawa)
        assert candidacy.status is CandidacyStatus.open and candidacy.mentor_id is not None
        assert warszawa.coordinator_term_end == date(2027, 3, 1)
