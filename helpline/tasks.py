"""The helpline's scheduled jobs: shifts planned weeks ahead from the weekly templates, the
volunteers reminded of their shifts, and the coordinators told of seats nobody covers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from helpline import calls, cover_alerts, reminders, shifts


def plan_shifts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Plan the coming shifts, and close the records of calls whose end was never heard of."""
    with sessions.begin() as session:
        shifts.plan_all(session, now=now)
        calls.close_forgotten(session, now=now)


def remind_duty_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        reminders.queue_due(session, now=now)


def cover_alerts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Cover requests past their deadline, and shifts still short of volunteers days ahead:
    the coordinators are told (and for the latter a cover request goes out), each once."""
    with sessions.begin() as session:
        cover_alerts.expire_due(session, now=now)
        cover_alerts.alert_unfilled(session, now=now)
