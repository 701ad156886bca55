"""The helpline's scheduled jobs: shifts planned weeks ahead from the weekly templates, the
volunteers reminded of their shifts, and voicemails fetched from Twilio."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from helpline import calls, providers, reminders, shifts, voicemail, voicemail_reminders


def plan_shifts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Plan the coming shifts, and close the records of calls whose end was never heard of."""
    with sessions.begin() as session:
        shifts.plan_all(session, now=now)
        calls.close_forgotten(session, now=now)


def remind_duty_job(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        reminders.queue_due(session, now=now)


def fetch_voicemails_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Fetch the voicemails Twilio has ready, store them encrypted, delete Twilio's copies."""
    voicemail.fetch_due(sessions, now=now, recordings=providers.get_recordings())


def remind_voicemails_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """At each contact point's review time: how many new voicemails wait, to its reviewers."""
    with sessions.begin() as session:
        voicemail_reminders.queue_due(session, now=now)
