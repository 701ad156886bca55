"""A call to the helpline: from the line dialled to the volunteer who pressed 1.

1. ``incoming`` (the line's Voice URL): a blocked caller hears a neutral message; out of duty
   hours, when the line is next staffed; otherwise a greeting while the free phones on duty ring,
   each showing the contact point's number, never the caller's.
2. ``whisper`` (each answered phone, before it is put through): "press 1 to take it".
3. ``accept``: the first 1 takes the call, by one conditional UPDATE, so two volunteers pressing
   at once cannot both get it; a later 1 hears that someone else has it; no key (a voicemail)
   hangs that phone up.
4. ``dialled`` (the caller's ``<Dial action>``, when the ringing or the conversation ends): the
   talk time is recorded, or the next phones ring (in turn; the mobiles after the desk phone), or
   the caller is told kindly that nobody could answer. Every path ends after a bounded time.

The caller's number is used once, for its keyed HMAC (``caller_key``), and never stored or passed
on: the legs show the line's number (``callerId``), and no log line carries a number.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import pii
from core.callers import is_withheld
from core.logs import get_logger
from core.work import Mode, runs
from groups.models import Line as PhoneLine
from helpline import checkin, closed, duty
from helpline.models import (
    CallerBlock,
    CallOutcome,
    ContactPoint,
    HelplineCall,
    HelplineLine,
    Leg,
    LegOutcome,
    RingStrategy,
)
from helpline.prompts import Prompt
from helpline.replies import (
    Goodbye,
    HangUp,
    Line,
    Lines,
    Phone,
    PutThrough,
    Record,
    Reply,
    Ring,
    Whisper,
    line,
)

log = get_logger(__name__)

# ``<Dial>`` rings at most ten numbers at once (https://www.twilio.com/docs/voice/twiml/number:
# "You can specify up to ten <Number>s within a <Dial> verb to simultaneously call").
MAX_AT_ONCE = 10


def caller_key(caller: str) -> str | None:
    """The caller's keyed HMAC; None for a withheld number (no one's identity)."""
    return None if is_withheld(caller) else pii.blind_index("helpline-caller", caller)


@runs(Mode.normal)
def incoming(
    session: Session, *, call_sid: str, caller: str, to: str, now: datetime
) -> Reply | None:
    """The Voice URL of a helpline line (None: ``to`` is not one)."""
    found = session.execute(
        select(HelplineLine, PhoneLine)
        .join(PhoneLine, PhoneLine.id == HelplineLine.line_id)
        .where(PhoneLine.number == to)
        .with_for_update(of=HelplineLine)  # a purpose changing meanwhile waits for the call row
    ).first()
    if found is None:
        return None
    helpline_line, dialled = found
    call = session.scalar(select(HelplineCall).where(HelplineCall.call_sid == call_sid))
    if call is not None and (call.outcome is not CallOutcome.ringing or call.legs):
        return Goodbye(call.language)  # a retried first webhook of a call already under way
    if call is None:
        call = HelplineCall(
            call_sid=call_sid,
            line_id=dialled.id,
            national=helpline_line.contact_point_id is None,
            language=dialled.language,
            caller_key=caller_key(caller),
            started_at=now,
        )
        session.add(call)
        session.flush()
    log.info("helpline.call", extra={"call_id": call.id, "line_id": dialled.id})
    if helpline_line.contact_point_id is None:
        return _national(session, call, now)
    contact_point = session.get_one(ContactPoint, helpline_line.contact_point_id)
    return _local(session, call, contact_point, now)


def _local(session: Session, call: HelplineCall, point: ContactPoint, now: datetime) -> Reply:
    call.contact_point_id = point.id
    if _blocked(session, point.id, call.caller_key, now):
        return _end(call, CallOutcome.blocked, now, line(Prompt.not_taken))
    if not duty.on_duty(session, point.id, now):
        said = closed.hours(session, point, now)
        offer = point.voicemail_out_of_hours
        return _close(call, point, CallOutcome.out_of_hours, now, voicemail=offer, said=said)
    phones = _ring_next(session, call, point, now)
    if not phones:
        said = closed.busy(session, point, now)
        offer = point.voicemail_no_answer
        return _close(call, point, CallOutcome.busy, now, voicemail=offer, said=said)
    greeting = line(Prompt.greeting, name=point.name)
    return _ring(session, call, point, phones, (greeting,))


def _national(session: Session, call: HelplineCall, now: datetime) -> Reply:
    """The first connected contact point, in the configured order, with a free phone on duty
    now; contact points where nobody is free (or that blocked this caller) are passed over."""
    connected = session.scalars(
        select(ContactPoint)
        .where(ContactPoint.national_order.is_not(None))
        .order_by(ContactPoint.national_order, ContactPoint.id)
    ).all()
    staffed = False
    for point in connected:
        if _blocked(session, point.id, call.caller_key, now):
            continue
        if not duty.on_duty(session, point.id, now):
            continue
        staffed = True
        phones = _ring_next(session, call, point, now)
        if phones:
            call.contact_point_id = point.id
            return _ring(session, call, point, phones, (line(Prompt.national_greeting),))
    if staffed:
        return _end(call, CallOutcome.busy, now, line(Prompt.all_busy))
    reachable = [p for p in connected if not _blocked(session, p.id, call.caller_key, now)]
    said = (
        *closed.national_hours(session, reachable, call.language, now),
        *closed.own_numbers(session),
    )
    return _end(call, CallOutcome.out_of_hours, now, *said)


@runs(Mode.normal)
def whisper(session: Session, *, leg_id: int) -> Reply:
    """A volunteer's phone answered: tell them whose call it is, and ask for 1."""
    leg = session.get(Leg, leg_id)
    if leg is None:
        return HangUp("en")
    call = leg.call
    point = session.get_one(ContactPoint, call.contact_point_id)
    if call.taken_by_leg_id is not None or call.ended_at is not None:
        leg.outcome = LegOutcome.too_late
        return HangUp(point.language, (line(Prompt.taken_elsewhere),))
    return Whisper(point.language, point.name, leg.id)  # the volunteer's language, not the caller's


@runs(Mode.normal)
def accept(session: Session, *, leg_id: int, digits: str, now: datetime) -> Reply:
    """The volunteer's key: 1 takes the call if nobody has yet; anything else hangs up."""
    leg = session.get(Leg, leg_id)
    if leg is None:
        return HangUp("en")
    call = leg.call
    language = session.get_one(ContactPoint, call.contact_point_id).language
    if digits != "1":
        leg.outcome = LegOutcome.declined
        return HangUp(language)
    taken = (
        session.connection()
        .execute(
            update(HelplineCall)
            .where(
                HelplineCall.id == call.id,
                HelplineCall.taken_by_leg_id.is_(None),
                HelplineCall.ended_at.is_(None),
            )
            .values(taken_by_leg_id=leg.id, answered_at=now, outcome=CallOutcome.answered)
        )
        .rowcount
    )
    session.expire(call)  # the UPDATE went around the session: its copy of the call is stale
    if taken != 1:
        leg.outcome = LegOutcome.too_late
        return HangUp(language, (line(Prompt.taken_elsewhere),))
    leg.outcome = LegOutcome.taken
    checkin.on_call_taken(session, leg, now)
    log.info("helpline.taken", extra={"call_id": call.id, "leg_id": leg.id})
    return PutThrough()


@runs(Mode.normal)
def dialled(
    session: Session,
    *,
    call_sid: str,
    call_status: str,
    talk_seconds: str,
    now: datetime,
) -> Reply:
    """The ``<Dial>`` ended: after a conversation, record it; after ringing, ring the next
    phones, or tell the caller nobody could answer."""
    call = session.scalar(
        select(HelplineCall)
        .where(HelplineCall.call_sid == call_sid)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if call is None:
        return Goodbye("en")
    for leg in call.legs:
        if leg.outcome is LegOutcome.ringing:
            leg.outcome = LegOutcome.not_answered
    if call.ended_at is not None:
        return Goodbye(call.language)
    if call.taken_by_leg_id is not None:
        call.ended_at = now
        call.talk_seconds = int(talk_seconds) if talk_seconds.isdigit() else 0
        return Goodbye(call.language)
    if call_status != "in-progress":  # the caller hung up while the phones rang
        call.outcome, call.ended_at = CallOutcome.hung_up, now
        return HangUp(call.language)
    point = session.get_one(ContactPoint, call.contact_point_id)
    call.step += 1
    phones = _ring_next(session, call, point, now)
    if phones:
        return _ring(session, call, point, phones, ())
    said = closed.nobody(session, point, now)
    offer = point.voicemail_no_answer
    return _close(call, point, CallOutcome.missed, now, voicemail=offer, said=said)


def _ring_next(
    session: Session, call: HelplineCall, point: ContactPoint, now: datetime
) -> tuple[Phone, ...]:
    """The phones of this call's next ring step, each recorded as a leg: the free phones on duty
    not yet rung for it — a desk-first shift's desk phone alone first, then the others as the
    contact point's strategy takes them (all at once, or one by one)."""
    rung = {(leg.volunteer_id, leg.duty_phone_id) for leg in call.legs}
    targets = [
        target
        for target in duty.free(session, duty.on_duty(session, point.id, now), now)
        if (target.volunteer_id, target.duty_phone_id) not in rung
    ]
    if not call.legs and any(target.desk_first for target in targets):
        chosen = [target for target in targets if target.desk_first]  # the desk phone alone
    else:
        rest = [target for target in targets if not target.desk_first]
        match point.ring_strategy:
            case RingStrategy.ring_all:  # all at once, once
                chosen = rest if all(leg.desk_first for leg in call.legs) else []
            case RingStrategy.in_turn:
                chosen = rest[:1]
    legs = [
        Leg(
            step=call.step,
            seat_id=target.seat_id,
            volunteer_id=target.volunteer_id,
            duty_phone_id=target.duty_phone_id,
            desk_first=target.desk_first,
            rung_at=now,
        )
        for target in chosen[:MAX_AT_ONCE]
    ]
    call.legs.extend(legs)
    session.flush()
    numbers: dict[tuple[int | None, int | None], str] = {
        (t.volunteer_id, t.duty_phone_id): t.number for t in chosen
    }
    return tuple(Phone(leg.id, numbers[(leg.volunteer_id, leg.duty_phone_id)]) for leg in legs)


def _ring(
    session: Session,
    call: HelplineCall,
    point: ContactPoint,
    phones: tuple[Phone, ...],
    lines: Lines,
) -> Ring:
    seconds = int(duty.longest_call().total_seconds())
    caller_id = _caller_id(session, call, point)
    return Ring(call.language, caller_id, phones, point.ring_seconds, seconds, lines)


def _caller_id(session: Session, call: HelplineCall, point: ContactPoint) -> str:
    """What the volunteers' phones show: the contact point's own line (the national line's
    for a contact point without one), so they know it is the helpline — never the caller."""
    own = session.scalar(
        select(PhoneLine.number)
        .join(HelplineLine, HelplineLine.line_id == PhoneLine.id)
        .where(HelplineLine.contact_point_id == point.id)
        .order_by(PhoneLine.id)
    )
    return own or session.get_one(PhoneLine, call.line_id).number


def _blocked(session: Session, point_id: int, key: str | None, now: datetime) -> bool:
    if key is None:
        return False
    found = session.scalar(
        select(CallerBlock.id).where(
            CallerBlock.contact_point_id == point_id,
            CallerBlock.caller_key == key,
            CallerBlock.until > now,
        )
    )
    return found is not None


def _end(call: HelplineCall, outcome: CallOutcome, now: datetime, *said: Line) -> Goodbye:
    call.outcome, call.ended_at = outcome, now
    log.info("helpline.ended", extra={"call_id": call.id, "outcome": outcome.value})
    return Goodbye(call.language, said)


def _close(
    call: HelplineCall,
    point: ContactPoint,
    outcome: CallOutcome,
    now: datetime,
    *,
    voicemail: bool,
    said: Lines,
) -> Reply:
    """The call ends unanswered: goodbye, or, where the contact point offers it, voicemail."""
    goodbye = _end(call, outcome, now, *said)
    if not voicemail:
        return goodbye
    return Record(call.language, point.voicemail_max_seconds, goodbye.lines)


# Longer than any ringing can last (in turn, ten phones of two minutes each): a call still
# ringing after this was left by a caller who hung up before any phone rang.
FORGOTTEN_AFTER = timedelta(minutes=30)


def close_forgotten(session: Session, *, now: datetime) -> int:
    """Close the records of calls whose end Twilio never told us of: a caller who hung up during
    the greeting (no ``<Dial>`` ever ran, so no action came), or a conversation whose end the
    server missed. Returns how many were closed."""
    connection = session.connection()
    ringing = connection.execute(
        update(HelplineCall)
        .where(
            HelplineCall.ended_at.is_(None),
            HelplineCall.taken_by_leg_id.is_(None),
            HelplineCall.started_at < now - FORGOTTEN_AFTER,
        )
        .values(outcome=CallOutcome.hung_up, ended_at=HelplineCall.started_at)
    )
    talking = connection.execute(
        update(HelplineCall)
        .where(
            HelplineCall.ended_at.is_(None),
            HelplineCall.answered_at < now - duty.longest_call(),
        )
        .values(ended_at=now)
    )
    closed = ringing.rowcount + talking.rowcount
    if closed:
        log.info("helpline.closed_forgotten", extra={"count": closed})
    return closed
