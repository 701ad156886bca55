"""The helpline's scheduled job: shifts planned some weeks ahead from the weekly templates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from helpline import shifts


def plan_shifts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        shifts.plan_all(session, now=now)
