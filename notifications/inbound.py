"""Incoming SMS: STOP / START / HELP, in English and the configured Polish and Hebrew words.

The opt-out is keyed by the blind index of the sender's number (the same index members' phones
carry), so the number itself is never stored or looked up in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import pii
from core.logs import get_logger
from core.settings import get_settings
from groups.models import Line, Membership
from notifications import notices, optout, outbox, render
from notifications.exceptions import DeliveryNotFound
from notifications.models import Channel, OutboxMessage

log = get_logger("notifications.inbound")

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})


def _words(configured: str) -> frozenset[str]:
    return frozenset(word.strip().upper() for word in configured.split(",") if word.strip())


def keyword(body: str) -> str | None:
    """``stop``, ``start``, ``help`` or None: the first word, any case, punctuation ignored."""
    settings = get_settings()
    words = body.strip().split()
    if not words:
        return None
    first = words[0].strip(".,!?;:").upper()
    if first in STOP_WORDS | _words(settings.sms_stop_keywords):
        return "stop"
    if first in START_WORDS | _words(settings.sms_start_keywords):
        return "start"
    if first in HELP_WORDS | _words(settings.sms_help_keywords):
        return "help"
    return None


def _language(session: Session, index: str, to_number: str) -> str:
    member_language = session.scalar(
        select(Membership.language)
        .where(Membership.phone_index == index)
        .order_by(Membership.id.desc())
        .limit(1)
    )
    if member_language:
        return member_language
    line_language = session.scalar(select(Line.language).where(Line.number == to_number))
    return "en" if line_language is None else line_language


def handle_sms(
    session: Session, *, from_number: str, to_number: str, body: str, now: datetime
) -> str | None:
    """Apply a keyword from ``from_number``; returns the reply text (None: no reply)."""
    action = keyword(body)
    if action is None or not from_number:
        return None
    index = pii.phone_index(from_number)
    language = _language(session, index, to_number)
    log.info("sms.keyword", extra={"action": action})
    if action == "stop":
        optout.opt_out(session, phone_index=index, now=now)
        return render.text(language, "stopped")
    if action == "start":
        optout.opt_in(session, phone_index=index)
        return render.text(language, "started")
    return render.text(language, "help", contact=get_settings().help_contact)


# --- status callbacks ---


def record_status(
    session: Session,
    *,
    outbox_id: int,
    message_sid: str,
    status: str,
    error_code: str | None,
    now: datetime,
) -> OutboxMessage:
    """Twilio's message status callback: delivered / undelivered / failed (and sent, queued).

    It is also how an SMS whose send was in doubt (the dispatcher died or timed out while Twilio
    was answering) is found to have gone out: then it is never sent again.
    """
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.channel is not Channel.sms:
        raise DeliveryNotFound()
    undelivered = outbox.record_callback(
        row, message_sid=message_sid, status=status, error_code=error_code, now=now
    )
    if undelivered:
        notices.notify_failure(session, row, now)
    session.flush()
    log.info("outbox.status", extra={"outbox_id": row.id, "status": row.provider_status})
    return row
