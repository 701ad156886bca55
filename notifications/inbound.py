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
from notifications import notices, optout, outbox, outcomes, render
from notifications.exceptions import DeliveryNotFound
from notifications.models import Channel, OutboxMessage
from notifications.providers import UNSUBSCRIBED

log = get_logger("notifications.inbound")

# The words Twilio itself handles on long codes: it replies, keeps the sender's opt-out (a later
# message fails with error 21610) and still passes the message on to this webhook
# (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out, docs/twilio.md). The app
# follows the opt-out but does not answer them a second time; it answers only the words the
# organisation configures (SMS_*_KEYWORDS), which Twilio does not know. A Messaging Service with
# Advanced Opt-Out replaces these lists with its own and marks what it handled with OptOutType:
# add the configured words there, and Twilio answers them too (the app then stays silent).
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
TWILIO_WORDS = STOP_WORDS | START_WORDS | HELP_WORDS


def _words(configured: str) -> frozenset[str]:
    return frozenset(word.strip().upper() for word in configured.split(",") if word.strip())


def first_word(body: str) -> str:
    words = body.strip().split()
    return words[0].strip(".,!?;:").upper() if words else ""


def keyword(body: str) -> str | None:
    """``stop``, ``start``, ``help`` or None: the first word, any case, punctuation ignored."""
    settings = get_settings()
    first = first_word(body)
    if not first:
        return None
    if first in STOP_WORDS | _words(settings.sms_stop_keywords):
        return "stop"
    if first in START_WORDS | _words(settings.sms_start_keywords):
        return "start"
    if first in HELP_WORDS | _words(settings.sms_help_keywords):
        return "help"
    return None


def keyword_action(body: str, opt_out_type: str = "") -> str | None:
    """``stop``, ``start``, ``help`` or None: what Twilio says it handled (``OptOutType``, with
    Advanced Opt-Out), else the first word."""
    told = opt_out_type.upper()
    return told.lower() if told in {"STOP", "START", "HELP"} else keyword(body)


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
    session: Session,
    *,
    from_number: str,
    to_number: str,
    body: str,
    now: datetime,
    opt_out_type: str = "",
) -> str | None:
    """Apply a keyword from ``from_number``; returns the reply text (None: no reply — also when
    Twilio has answered the keyword itself, or says so with ``OptOutType``)."""
    action = keyword_action(body, opt_out_type)
    if action is None or not from_number:
        return None
    index = pii.phone_index(from_number)
    log.info("sms.keyword", extra={"action": action})
    if action == "stop":
        optout.opt_out(session, phone_index=index, now=now)
    elif action == "start":
        optout.opt_in(session, phone_index=index)
    if opt_out_type or first_word(body) in TWILIO_WORDS:
        return None  # Twilio has replied already
    language = _language(session, index, to_number)
    if action == "help":
        return render.text(language, "help", contact=get_settings().help_contact)
    return render.text(language, "stopped" if action == "stop" else "started")


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
        if error_code == str(UNSUBSCRIBED):  # Twilio may report it here, not in its answer
            outcomes.follow_twilios_opt_out(session, row, now)
        notices.notify_failure(session, row, now)
    session.flush()
    log.info("outbox.status", extra={"outbox_id": row.id, "status": row.provider_status})
    return row
