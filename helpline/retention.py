"""Retention of the helpline's records: a call's caller HMAC goes after the repeat-caller window
(``RETENTION_HELPLINE_CALLER_DAYS``), the call log itself after ``RETENTION_HELPLINE_CALL_DAYS``,
a block once it has expired, and a voicemail at its ``deletes_at`` (the contact point's retention
days after it arrived, handled or not) — once Twilio's copy is gone too, so that none is left
behind there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.orm import Session

from core.retention import Rule, days_before
from core.settings import get_settings
from helpline.models import CallerBlock, FetchState, HelplineCall, Voicemail


def callers_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_helpline_caller_days)
    return select(HelplineCall.id).where(
        HelplineCall.started_at < cutoff,
        or_(HelplineCall.caller_key.is_not(None), HelplineCall.call_sid.is_not(None)),
    )


def clear_callers(session: Session, ids: Sequence[int], _now: datetime) -> None:
    forget = {"caller_key": None, "call_sid": None}
    session.execute(update(HelplineCall).where(HelplineCall.id.in_(ids)).values(forget))


def calls_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_helpline_call_days)
    return select(HelplineCall.id).where(HelplineCall.started_at < cutoff)


def delete_calls(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(HelplineCall).where(HelplineCall.id.in_(ids)))  # legs cascade


def blocks_due(now: datetime) -> Select[Any]:
    return select(CallerBlock.id).where(CallerBlock.until < now)


def delete_blocks(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(CallerBlock).where(CallerBlock.id.in_(ids)))


def voicemails_due(now: datetime) -> Select[Any]:
    gone_at_twilio = or_(
        Voicemail.deleted_at_twilio.is_not(None), Voicemail.fetch_state == FetchState.failed
    )
    return select(Voicemail.id).where(Voicemail.deletes_at <= now, gone_at_twilio)


def delete_voicemails(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(Voicemail).where(Voicemail.id.in_(ids)))


def rules() -> list[Rule]:
    return [
        Rule("helpline voicemails", voicemails_due, delete_voicemails),
        Rule("helpline calls: caller HMAC and call id", callers_due, clear_callers),
        Rule("helpline calls", calls_due, delete_calls),
        Rule("expired caller blocks", blocks_due, delete_blocks),
    ]
