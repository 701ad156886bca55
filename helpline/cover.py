"""Cover for a seat: a volunteer gives it up (a NO to the reminder, a withdrawal) or does not
come, and the contact point's volunteers who take cover requests are asked to fill it; the first
to accept takes the seat.

- A request is for one seat (shift and position). ``open_slot`` is unique while nobody has taken
  it, so a NO, a withdrawal and the unfilled-shift job asking at once make one request.
- It goes to the volunteers of the contact point who opted in, who are not seated on any shift
  overlapping it (at any contact point), and not to the one who gave the seat up; by the channel
  each chose (``notices.notify_volunteer``), once per volunteer and request.
- The first to accept takes the seat with one conditional ``UPDATE`` (the seat must still be
  empty): two accepting at the same moment give one winner; the other is told it is taken.
- The deadline is ``cover_deadline_minutes`` before the start, but never less than half an hour
  from the request (within the shift for a no-show); after it the coordinators are told once
  (``helpline.cover_alerts``). The seat can still be taken until the shift ends.

SMS replies. A NO (``reply_decline``) gives up the volunteer's next seat whose reminder they were
sent and whose shift has not started: the reminder is what they answer. Inside the contact
point's sign-up cut-off (when the console no longer lets them withdraw) a NO still frees the
seat — a volunteer who says they cannot come will not come — and the coordinators are told
urgently (by SMS where they have a phone). A YES (``reply_accept``) takes the request they were
asked most recently.

On a long code Twilio treats an English YES as an opt-in keyword: it still forwards the message
to the webhook (so the YES reaches ``reply_accept``), but may answer with its own opt-in
confirmation beside ours, unless the number's Messaging Service sets its opt-in keywords with
Advanced Opt-Out (https://support.twilio.com/hc/en-us/articles/223134027-Twilio-support-for-opt-
out-keywords-SMS-STOP-filtering, https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
TAK, כן and the NO words are no keywords of Twilio's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from core.database import insert_or_nothing
from helpline import cover_texts, mentoring, words
from helpline.cover_people import (
    busy_then,
    free_cover_volunteers,
    is_over,
    serves,
    tell_coordinators,
)
from helpline.cover_texts import CoverReply, text
from helpline.exceptions import (
    CoverClashes,
    CoverRequestNotFound,
    CoverTaken,
    NotOnThisContactPoint,
    ShiftOver,
)
from helpline.models import (
    ContactPoint,
    CoverOffer,
    CoverRequest,
    Seat,
    Shift,
    ShiftStatus,
    Volunteer,
)
from helpline.words import Reply
from notifications import notices
from notifications.models import Kind, OutboxMessage, Status

REASONS = ("declined", "withdrawn", "no_show", "unfilled")
LEAST_TIME_TO_ANSWER = timedelta(minutes=30)
REMINDERS = ("duty_tomorrow", "duty_soon")


# --- asking for cover ---------------------------------------------------------------------


def request_cover(
    session: Session,
    *,
    shift: Shift,
    now: datetime,
    reason: str,
    given_up_by: Volunteer | None = None,
) -> CoverRequest | None:
    """Ask for cover for an empty seat of ``shift``; the open request (new, or one that was
    already asking for that seat). ``reason`` is one of :data:`REASONS`. When no seat is empty —
    a no-show still holds theirs — a seat is added for the cover. None when the shift is over or
    cancelled, or (except for a no-show) no seat is empty."""
    if is_over(shift, now) or reason not in REASONS:
        return None
    _close_taken(session, shift, now)
    position = _position_to_fill(session, shift, reason)
    if position is None:
        return None
    point = session.get_one(ContactPoint, shift.contact_point_id)
    values = {
        "shift_id": shift.id,
        "position": position,
        "reason": reason,
        "given_up_by_id": given_up_by.id if given_up_by else None,
        "created_at": now,
        "deadline": _deadline(point, shift, now),
        "open_slot": f"{shift.id}:{position}",
    }
    session.execute(insert_or_nothing(session, CoverRequest).values(**values))
    slot = CoverRequest.open_slot == values["open_slot"]
    request = session.scalar(select(CoverRequest).where(slot))
    assert request is not None  # inserted now, or by whoever asked a moment before
    _offer(session, request, shift, now)
    return request


def _deadline(point: ContactPoint, shift: Shift, now: datetime) -> datetime:
    before = shift.starts_at - timedelta(minutes=point.cover_deadline_minutes)
    return max(before, min(now + LEAST_TIME_TO_ANSWER, shift.ends_at))


def _position_to_fill(session: Session, shift: Shift, reason: str) -> int | None:
    """The first empty seat without an open request; else the first empty one (its request is
    returned again); else, for a no-show, a new seat."""
    asked = set(
        session.scalars(
            select(CoverRequest.position).where(
                CoverRequest.shift_id == shift.id, CoverRequest.open_slot.is_not(None)
            )
        )
    )
    empty = [seat.position for seat in shift.seats if seat.volunteer_id is None]
    fresh = [position for position in empty if position not in asked]
    if fresh or empty:
        return (fresh or empty)[0]
    if reason != "no_show":
        return None
    position = max((seat.position for seat in shift.seats), default=0) + 1
    shift.seats.append(Seat(position=position))
    session.flush()
    return position


def _close_taken(session: Session, shift: Shift, now: datetime) -> None:
    """Requests for seats filled meanwhile (a coordinator seated someone, a sign-up) are closed
    as filled by whoever sits there."""
    sitting = {seat.position: seat.volunteer_id for seat in shift.seats}
    for request in session.scalars(
        select(CoverRequest).where(
            CoverRequest.shift_id == shift.id, CoverRequest.open_slot.is_not(None)
        )
    ):
        if sitting.get(request.position) is not None:
            request.filled_by_id, request.filled_at = sitting[request.position], now
            request.open_slot = None


def _offer(session: Session, request: CoverRequest, shift: Shift, now: datetime) -> int:
    """Ask every volunteer who may take it and was not asked yet; how many were asked."""
    asked = select(CoverOffer.volunteer_id).where(CoverOffer.request_id == request.id)
    candidates = [
        volunteer
        for volunteer in free_cover_volunteers(session, shift, but=asked)
        if volunteer.id != request.given_up_by_id
    ]
    language = session.get_one(ContactPoint, shift.contact_point_id).language
    accept_word = words.suggested(Reply.accept, language)
    for volunteer in candidates:
        session.execute(
            insert_or_nothing(session, CoverOffer).values(
                request_id=request.id, volunteer_id=volunteer.id, offered_at=now
            )
        )
        notices.notify_volunteer(
            session,
            volunteer=volunteer,
            event="cover_needed",
            contact_point_id=shift.contact_point_id,
            shift_id=shift.id,
            version=request.id,
            expires_at=shift.starts_at if shift.starts_at > now else shift.ends_at,
            now=now,
            reply=accept_word,
        )
    return len(candidates)


# --- giving a seat up ---------------------------------------------------------------------


def give_up(
    session: Session,
    point: ContactPoint,
    shift: Shift,
    seat: Seat,
    *,
    now: datetime,
    reason: str,
) -> CoverRequest | None:
    """Free ``seat``, tell the coordinators (urgently inside the sign-up cut-off) and ask for
    cover. The caller checks who may and records the audit entry."""
    volunteer = session.get_one(Volunteer, seat.volunteer_id)
    seat.volunteer_id, seat.duty_phone_id = None, None
    session.flush()
    late = now > shift.starts_at - timedelta(hours=point.signup_cutoff_hours)
    event = "seat_given_up_late" if late else "seat_given_up"
    tell_coordinators(session, shift, event, now, urgent=late, but=volunteer.staff_id)
    if mentoring.candidates_alone(session, point, shift):  # the one who left was their mentor
        tell_coordinators(session, shift, "candidate_alone", now, urgent=late)
    return request_cover(session, shift=shift, now=now, reason=reason, given_up_by=volunteer)


def reminded_seat(session: Session, volunteer: Volunteer, now: datetime) -> Seat | None:
    """The volunteer's next seat whose reminder they were sent and whose shift has not
    started: what a NO answers."""
    reminded = (
        select(OutboxMessage.version)
        .where(
            OutboxMessage.kind == Kind.duty_notice,
            OutboxMessage.staff_id == volunteer.staff_id,
            OutboxMessage.status.not_in((Status.skipped, Status.cancelled)),
        )
        .where(
            OutboxMessage.idempotency_key.like(f"%:{REMINDERS[0]}")
            | OutboxMessage.idempotency_key.like(f"%:{REMINDERS[1]}")
        )
    )
    return session.scalar(
        select(Seat)
        .join(Shift, Shift.id == Seat.shift_id)
        .where(
            Seat.volunteer_id == volunteer.id,
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at > now,
            Shift.id.in_(reminded),
        )
        .order_by(Shift.starts_at)
        .limit(1)
    )


def reply_decline(session: Session, *, volunteer: Volunteer, now: datetime) -> str:
    """The volunteer replied NO: their reminded seat is given up (see the module's rule); the
    reply to send them."""
    seat = reminded_seat(session, volunteer, now)
    if seat is None:
        return text(cover_texts.language_of(session, volunteer), CoverReply.nothing_to_decline)
    shift = seat.shift
    point = session.get_one(ContactPoint, shift.contact_point_id)
    give_up(session, point, shift, seat, now=now, reason="declined")
    audit.record(
        session,
        actor_id=volunteer.staff_id,
        action="seat.decline",
        target_type="shift",
        target_id=shift.id,
    )
    return text(point.language, CoverReply.declined, **cover_texts.when(point, shift))


# --- taking a seat ------------------------------------------------------------------------


def take(session: Session, *, request: CoverRequest, volunteer: Volunteer, now: datetime) -> Seat:
    """``volunteer`` takes the request's seat, if it is still empty (one winner however many
    accept at once); the coordinators and the others asked are told."""
    shift = request.shift
    if is_over(shift, now):
        raise ShiftOver()
    if not serves(session, volunteer, shift.contact_point_id):
        raise NotOnThisContactPoint()
    if request.filled_at is not None:
        raise CoverTaken()
    if busy_then(session, volunteer.id, shift):
        raise CoverClashes()
    won = session.execute(
        update(Seat)
        .where(
            Seat.shift_id == shift.id,
            Seat.position == request.position,
            Seat.volunteer_id.is_(None),
        )
        .values(volunteer_id=volunteer.id, duty_phone_id=None)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise CoverTaken()
    session.execute(
        update(CoverRequest)
        .where(CoverRequest.id == request.id)
        .values(filled_by_id=volunteer.id, filled_at=now, open_slot=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(request)
    session.expire(shift)  # both UPDATEs went around the session: its copies are stale
    _tell_filled(session, request, shift, volunteer, now)
    audit.record(
        session,
        actor_id=volunteer.staff_id,
        action="cover.accept",
        target_type="shift",
        target_id=shift.id,
    )
    session.flush()
    seat = session.scalar(
        select(Seat).where(Seat.shift_id == shift.id, Seat.position == request.position)
    )
    assert seat is not None
    return seat


def _tell_filled(
    session: Session, request: CoverRequest, shift: Shift, taker: Volunteer, now: datetime
) -> None:
    tell_coordinators(session, shift, "seat_covered", now, version=request.id)
    others = session.scalars(
        select(Volunteer)
        .join(CoverOffer, CoverOffer.volunteer_id == Volunteer.id)
        .where(CoverOffer.request_id == request.id, Volunteer.id != taker.id)
    )
    for volunteer in others:
        notices.notify_volunteer(
            session,
            volunteer=volunteer,
            event="cover_filled",
            contact_point_id=shift.contact_point_id,
            shift_id=shift.id,
            version=request.id,
            expires_at=shift.ends_at,
            now=now,
        )


def last_offered(session: Session, volunteer: Volunteer, now: datetime) -> CoverRequest | None:
    """The request the volunteer was asked most recently whose shift has not ended."""
    return session.scalar(
        select(CoverRequest)
        .join(CoverOffer, CoverOffer.request_id == CoverRequest.id)
        .join(Shift, Shift.id == CoverRequest.shift_id)
        .where(CoverOffer.volunteer_id == volunteer.id, Shift.ends_at > now)
        .order_by(CoverOffer.offered_at.desc(), CoverRequest.id.desc())
        .limit(1)
    )


def reply_accept(session: Session, *, volunteer: Volunteer, now: datetime) -> str:
    """The volunteer replied YES: they take the request they were asked most recently, if it
    is still open; the reply to send them."""
    request = last_offered(session, volunteer, now)
    if request is None:
        return text(cover_texts.language_of(session, volunteer), CoverReply.no_request)
    point = session.get_one(ContactPoint, request.shift.contact_point_id)
    try:
        take(session, request=request, volunteer=volunteer, now=now)
    except CoverTaken:
        return text(point.language, CoverReply.already_taken)
    except CoverClashes:
        return text(point.language, CoverReply.clashes)
    except (ShiftOver, NotOnThisContactPoint):
        return text(point.language, CoverReply.over)
    return text(point.language, CoverReply.accepted, **cover_texts.when(point, request.shift))


# --- reading ------------------------------------------------------------------------------


def open_requests(session: Session, point: ContactPoint, *, now: datetime) -> list[CoverRequest]:
    """The contact point's requests still asking: nobody took them, the shift has not ended."""
    found = session.scalars(
        select(CoverRequest)
        .join(Shift, Shift.id == CoverRequest.shift_id)
        .where(
            Shift.contact_point_id == point.id,
            Shift.status == ShiftStatus.scheduled,
            Shift.ends_at > now,
            CoverRequest.open_slot.is_not(None),
        )
        .order_by(Shift.starts_at, CoverRequest.position)
    )
    return [request for request in found if _seat_empty(request)]


def _seat_empty(request: CoverRequest) -> bool:
    seat = next((s for s in request.shift.seats if s.position == request.position), None)
    return seat is not None and seat.volunteer_id is None


def get_request(session: Session, point: ContactPoint, request_id: int) -> CoverRequest:
    found = session.scalar(
        select(CoverRequest)
        .join(Shift, Shift.id == CoverRequest.shift_id)
        .where(CoverRequest.id == request_id, Shift.contact_point_id == point.id)
    )
    if found is None:
        raise CoverRequestNotFound()
    return found
