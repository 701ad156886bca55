"""The helpline's scheduled jobs: shifts planned weeks ahead from the weekly templates, the
volunteers reminded of their shifts, the check-in at each shift's start, the coordinators told
of seats nobody covers, the coordinators and admins told of candidacies and coordinators' terms
coming to an end, and voicemails fetched from Twilio and their reviewers reminded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from helpline import (
    calls,
    checkin,
    cover_alerts,
    mentoring,
    providers,
    reminders,
    shifts,
    terms,
    voicemail,
    voicemail_reminders,
)


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


def fetch_voicemails_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Fetch the voicemails Twilio has ready, store them encrypted, delete Twilio's copies."""
    voicemail.fetch_due(sessions, now=now, recordings=providers.get_recordings())


def remind_voicemails_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """At each contact point's review time: how many new voicemails wait, to its reviewers."""
    with sessions.begin() as session:
        voicemail_reminders.queue_due(session, now=now)


def cover_alerts_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """Cover requests past their deadline, and shifts still short of volunteers days ahead:
    the coordinators are told (and for the latter a cover request goes out), each once."""
    with sessions.begin() as session:
        cover_alerts.expire_due(session, now=now)
        cover_alerts.alert_unfilled(session, now=now)
