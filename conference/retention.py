"""Retention of the dial-in path's records: a call keeps its anonymous attendance (membership,
meeting, joined, left) and loses what identifies the call and the caller; failed PINs and
access events go once the lockout windows are long past."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.orm import Session

from conference.models import AccessEvent, Call, PinFailure
from core.retention import Rule, days_before
from core.settings import get_settings

# Per call: Twilio's id (its logs hold the caller's number under it), the caller's HMAC, and
# the call's own passing state.
PER_CALL = {
    "call_sid": None,
    "caller_index": None,
    "pending_pin_hash": None,
    "event_conference_sid": None,
    "event_sequence": None,
    "pin_tries": 0,
    "muted": False,
    "on_hold": False,
    "speaking": False,
}


def calls_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_call_days)
    return select(Call.id).where(
        Call.created_at < cutoff, or_(Call.call_sid.is_not(None), Call.caller_index.is_not(None))
    )


def clear_calls(session: Session, ids: Sequence[int], _now: datetime) -> None:
    """A call that never reached a meeting is no attendance: it goes whole."""
    session.execute(delete(Call).where(Call.id.in_(ids), Call.joined_at.is_(None)))
    session.execute(update(Call).where(Call.id.in_(ids)).values(PER_CALL))


def pin_failures_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_security_days)
    return select(PinFailure.id).where(PinFailure.at < cutoff)


def delete_pin_failures(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(PinFailure).where(PinFailure.id.in_(ids)))


def access_events_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_security_days)
    return select(AccessEvent.id).where(AccessEvent.at < cutoff)


def delete_access_events(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(AccessEvent).where(AccessEvent.id.in_(ids)))


def rules() -> list[Rule]:
    return [
        Rule("calls: caller HMAC and call ids", calls_due, clear_calls),
        Rule("failed PINs", pin_failures_due, delete_pin_failures),
        Rule("access events", access_events_due, delete_access_events),
    ]
