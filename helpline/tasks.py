"""The helpline's scheduled jobs: shifts planned weeks ahead from the weekly templates, the
volunteers reminded of their shifts, and the check-in at each shift's start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from helpline import calls, checkin, reminders, shifts


def plan_shifts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Plan the coming shifts, and close the records of calls whose end was never heard of."""
    with sessions.begin() as session:
        shifts.plan_all(session, now=now)
        calls.close_forgotten(session, now=now)


def remind_duty_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        reminders.queue_due(session, now=now)


def check_in_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """The shift-start SMS, then the no-shows and the coordinators' summary."""
    with sessions.begin() as session:
        checkin.send_duty_start(session, now=now)
        checkin.watch_no_shows(session, now=now)
