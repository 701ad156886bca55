"""The helpline's scheduled jobs: shifts planned weeks ahead from the weekly templates, the
volunteers reminded of their shifts, the check-in at each shift's start, and the coordinators and
admins told of candidacies and coordinators' terms coming to an end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from helpline import calls, checkin, mentoring, reminders, shifts, terms


def plan_shifts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Plan the coming shifts, and close the records of calls whose end was never heard of."""
    with sessions.begin() as session:
        shifts.plan_all(session, now=now)
        calls.close_forgotten(session, now=now)


def remind_duty_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        reminders.queue_due(session, now=now)


def terms_ending_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """A month before a candidacy ends the coordinators are told, two months before a
    coordinator's term ends the admins; each once."""
    with sessions.begin() as session:
        mentoring.notify_candidacies_ending(session, now=now)
        terms.notify_terms_ending(session, now=now)


def check_in_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """The shift-start SMS, then the no-shows and the coordinators' summary."""
    with sessions.begin() as session:
        checkin.send_duty_start(session, now=now)
        checkin.watch_no_shows(session, now=now)
