"""The helpline's records of calls: the call log with who was rung, repeat callers, blocks,
and who is on duty now with the calls in progress and missed today."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from helpline import duty
from helpline.exceptions import (
    CallNotFound,
    NoCallerToBlock,
)
from helpline.models import (
    CallerBlock,
    CallOutcome,
    ContactPoint,
    HelplineCall,
    Volunteer,
)
from helpline.schemas import (
    OnDutyRead,
)

REPEAT_WINDOW = timedelta(days=90)


def list_calls(
    session: Session,
    point: ContactPoint,
    *,
    limit: int,
    offset: int,
    outcome: str | None = None,
    since: datetime | None = None,
) -> tuple[list[HelplineCall], int]:
    query = select(HelplineCall).where(HelplineCall.contact_point_id == point.id)
    if outcome is not None:
        query = query.where(HelplineCall.outcome == outcome)
    if since is not None:
        query = query.where(HelplineCall.started_at >= since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(HelplineCall.started_at.desc(), HelplineCall.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def get_call(session: Session, point: ContactPoint, call_id: int) -> HelplineCall:
    call = session.get(HelplineCall, call_id)
    if call is None or call.contact_point_id != point.id:
        raise CallNotFound()
    return call


def earlier_calls(session: Session, call: HelplineCall) -> int:
    """Calls from the same number to the same contact point within the repeat window before
    this one (by HMAC): a coordinator learns nothing of the calls to other contact points."""
    if call.caller_key is None:
        return 0
    found = session.scalar(
        select(func.count(HelplineCall.id)).where(
            HelplineCall.contact_point_id == call.contact_point_id,  # this log's calls only
            HelplineCall.caller_key == call.caller_key,
            HelplineCall.started_at < call.started_at,
            HelplineCall.started_at >= call.started_at - REPEAT_WINDOW,
        )
    )
    return found or 0


def block_caller(
    session: Session,
    point: ContactPoint,
    call: HelplineCall,
    *,
    actor: Staff,
    days: int,
    now: datetime,
) -> CallerBlock:
    """Block the caller of ``call`` from this contact point for ``days``: by its HMAC only."""
    if call.caller_key is None:
        raise NoCallerToBlock()
    until = now + timedelta(days=days)
    block = session.scalar(
        select(CallerBlock).where(
            CallerBlock.contact_point_id == point.id,
            CallerBlock.caller_key == call.caller_key,
            CallerBlock.until > now,
        )
    )
    if block is None:  # a caller blocked already gets the later end, not a second block
        block = CallerBlock(
            contact_point_id=point.id,
            caller_key=call.caller_key,
            until=until,
            blocked_by_id=actor.id,
        )
        session.add(block)
    else:
        block.until, block.blocked_by_id = max(block.until, until), actor.id
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="helpline.block",
        target_type="helpline_call",
        target_id=call.id,
        details={"days": days},
    )
    return block


def on_duty_now(session: Session, point: ContactPoint, *, now: datetime) -> OnDutyRead:
    """Who is on duty now, calls in progress, and calls nobody took since local midnight."""
    on_duty = duty.on_duty(session, point.id, now)
    names = session.scalars(
        select(Staff.username)
        .join(Volunteer, Volunteer.staff_id == Staff.id)
        .where(Volunteer.id.in_({t.volunteer_id for t in on_duty if t.volunteer_id is not None}))
        .order_by(func.lower(Staff.username))
    )
    midnight = now.astimezone(ZoneInfo(point.time_zone)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    mine = HelplineCall.contact_point_id == point.id
    in_progress = select(func.count(HelplineCall.id)).where(
        mine,
        HelplineCall.ended_at.is_(None),
        HelplineCall.started_at > now - duty.longest_call(),
    )
    missed = select(func.count(HelplineCall.id)).where(
        mine,
        HelplineCall.started_at >= midnight,
        HelplineCall.outcome.in_((CallOutcome.missed, CallOutcome.busy)),
    )
    return OnDutyRead(
        on_duty=list(names),
        calls_in_progress=session.scalar(in_progress) or 0,
        missed_today=session.scalar(missed) or 0,
    )
