"""The groups' scheduled job: meetings planned some weeks ahead from the weekly slots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from groups import meetings


def plan_meetings_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        meetings.plan_all(session, now=now)
