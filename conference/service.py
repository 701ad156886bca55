"""The dial-in call: keypad login, brute-force limits, first-call PIN change and admission.

Each webhook finds its call row by CallSid and answers with a reply (``conference.replies``),
which the router renders as TwiML. An unknown participant number and a wrong PIN take the same
path: same prompts, one argon2 verification each (against a dummy hash when there is nothing real
to check), so the two cannot be told apart.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, func, select, update
from sqlalchemy.orm import Session

from conference import admission, calls, logins
from conference.models import AccessEvent, AccessEventKind, Call, CallStage, PinFailure
from conference.prompts import Prompt
from conference.replies import Ask, Farewell, Join, Line, line
from core import pii, security
from core.callers import is_withheld
from core.database import durable_commit
from core.logs import get_logger
from core.settings import get_settings
from core.work import Mode, runs
from groups import members as members_service
from groups.models import Meeting, Membership, MembershipStatus, group_lines
from groups.schedule import MAX_EXTENSION
from notifications import notices

log = get_logger(__name__)

MAX_PIN_LENGTH = 12


def caller_index(caller: str, call_sid: str) -> str:
    """The key a call's PIN failures are counted under for the caller throttle.

    A withheld number is no caller's identity: every such caller would share one key, and a few
    strangers' typos would turn away everyone who hides their number (many people calling a
    support group do). Those calls are counted on their own; the tries per call and the lockout
    of the participant number still limit them.
    """
    if is_withheld(caller):
        return pii.blind_index("caller-call", call_sid)
    return pii.blind_index("caller", caller)


def _failures_since(session: Session, condition: ColumnElement[bool], since: datetime) -> int:
    query = select(func.count()).select_from(PinFailure).where(condition, PinFailure.at >= since)
    return session.scalar(query) or 0


def _window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=get_settings().lockout_window_minutes)


def is_throttled(session: Session, index: str, now: datetime) -> bool:
    """A caller number that keeps failing, across participant numbers, is turned away."""
    since = _window_start(now)
    count = calls.caller_failures(session.connection(), caller_index=index, since=since)
    return count >= get_settings().caller_throttle_failures


# The unit of work of each webhook (``core.work.runs``). Entry and participant number need no
# common transaction (``Mode.autocommit``: each statement is whole by itself); they and the PIN step
# write only the call's own state, on the relaxed engine (autocommit runs on it too). The rare
# first-call PIN change runs in a normal transaction.


@runs(Mode.autocommit)  # one INSERT; a throttled caller's call then ends
def start_call(
    connection: Connection, *, call_sid: str, caller: str, to: str, now: datetime
) -> Ask | Farewell | None:
    """A group line's Voice URL: greet and ask for the participant number (None: ``to`` is
    no group's line)."""
    call = calls.start(
        connection,
        call_sid=call_sid,
        caller_index=caller_index(caller, call_sid),
        number=to,
        now=now,
        failures_since=_window_start(now),
    )
    if call is None:
        return None
    log.info("call.start", extra={"call_id": call.id, "line_id": call.line_id})
    if call.caller_failures >= get_settings().caller_throttle_failures:  # throttled
        calls.set_call(connection, call.id, stage=CallStage.ended)
        return Farewell(call.language, (line(Prompt.throttled),))
    return Ask(call.language, "/twilio/voice/number", (line(Prompt.welcome),))


def _call(session: Session, call_sid: str, stage: CallStage) -> Call | None:
    """The call in the stage this step expects; anything else is treated as not recognised."""
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None or call.stage is not stage:
        return None
    return call


def _lost(call: Call | None) -> Farewell:
    if call is not None:
        call.stage = CallStage.ended
    language = call.language if call is not None else "en"
    return Farewell(language, (line(Prompt.not_recognised),))


@runs(Mode.autocommit)  # one UPDATE
def enter_number(
    connection: Connection, *, call_sid: str, digits: str, now: datetime
) -> Ask | Farewell:
    """Remember whom the number belongs to (maybe nobody); ask for the PIN either way."""
    index = pii.blind_index("participant", digits) if digits.isdigit() else None
    call = calls.number_typed(connection, call_sid=call_sid, number_index=index)
    if call is None:
        return _lost(None)  # not at this step (retried late, or past it): the row stays
    return Ask(call.language, "/twilio/voice/pin", (line(Prompt.enter_pin),))


@dataclass(frozen=True)
class PinCheck:
    """One PIN verification, done before the unit of work: the hash checked and the outcome."""

    pin_hash: str | None
    matches: bool


@runs(Mode.autocommit)  # one read, before the hash (``conference.dependencies.verified_pin``)
def pin_hash_for(connection: Connection, *, call_sid: str) -> str | None:
    """The hash a PIN typed on this call is checked against; None for an unknown number."""
    return calls.pin_hash(connection, call_sid)


async def check_pin(*, pin_hash: str | None, digits: str) -> PinCheck:
    """One argon2 verification in every case (against a dummy hash when there is nothing real
    to check), so an unknown number and a wrong PIN cost the same."""
    matches = await security.verify_secret_async(digits or "-", pin_hash or security.dummy_hash())
    return PinCheck(pin_hash, matches and pin_hash is not None)


def _pin_accepted(member: logins.Member, pin: PinCheck, now: datetime) -> bool:
    """The check counts for the hash it verified only (a PIN changed meanwhile fails it). A
    locked number fails like a wrong PIN, even with the right one, so that guessing on during a
    lockout learns nothing."""
    if not pin.matches or member.pin_hash != pin.pin_hash:
        return False
    return (member.locked_until or now) <= now


@runs(Mode.relaxed)  # failures and lockouts ask for ``durable_commit`` (``_failed``)
def enter_pin(
    session: Session, *, call_sid: str, pin: PinCheck, now: datetime
) -> Ask | Farewell | Join:
    login = logins.login(session.connection(), call_sid, now=now, back=MAX_EXTENSION)
    if login is None or login.stage != CallStage.pin:
        return _lost(None)  # not at this step (retried late, or past it): the row stays
    member = login.member
    if member is None or not _pin_accepted(member, pin, now):
        return _login_failed(session, login, now)
    # A success forgets this number's earlier failures (the caller's throttle keeps them).
    if member.has_failures:
        calls.forget_failures(session.connection(), member.id)
    # Identified: from here on the call speaks the member's language, not the line's (not
    # before: a change after the participant number alone would tell that it exists).
    language = member.language
    if member.pin_is_temporary and member.status == MembershipStatus.active:
        calls.set_call(
            session.connection(), login.call_id, stage=CallStage.new_pin, language=language
        )
        return _ask_new_pin(language, (), first=True)
    if language != login.language:
        calls.set_call(session.connection(), login.call_id, language=language)
    entrant = admission.Entrant.of_login(login, member)
    return admission.admit(session, entrant=entrant, now=now, lines=())


def _login_failed(session: Session, login: logins.Login, now: datetime) -> Ask | Farewell:
    """The rare path, through the ORM: the call and the membership it named (if any)."""
    call = session.get_one(Call, login.call_id)
    membership = None
    if login.member is not None:
        options = members_service.WITHOUT_CONTACT
        membership = session.get(Membership, login.member.id, options=options)
    return _failed(session, call, membership, now)


def _failed(
    session: Session, call: Call, membership: Membership | None, now: datetime
) -> Ask | Farewell:
    durable_commit(session)  # failures and lockouts must outlive a database crash
    settings = get_settings()
    # A try against a locked number counts for the caller's throttle only: were it counted for
    # the number, it would lock the member again at the first typo after an unlock.
    counted = membership if membership is not None and not _locked(membership, now) else None
    session.add(
        PinFailure(
            membership_id=counted.id if counted is not None else None,
            caller_index=call.caller_index,
            at=now,
        )
    )
    call.pin_tries += 1
    call.membership_id = None
    session.flush()
    if counted is not None:
        _lock_if_needed(session, counted, now)
    log.info("call.login_failed", extra={"call_id": call.id, "tries": call.pin_tries})
    if call.pin_tries >= settings.pin_tries_per_call:
        call.stage = CallStage.ended
        return Farewell(call.language, (line(Prompt.too_many_tries),))
    if call.caller_index is not None and is_throttled(session, call.caller_index, now):
        call.stage = CallStage.ended
        return Farewell(call.language, (line(Prompt.throttled),))
    call.stage = CallStage.number
    # Both are asked for again, whichever was wrong: saying which would tell a caller that a
    # participant number exists.
    lines = (line(Prompt.not_recognised), line(Prompt.number_again))
    return Ask(call.language, "/twilio/voice/number", lines)


def _locked(membership: Membership, now: datetime) -> bool:
    return membership.locked_until is not None and membership.locked_until > now


def _lock_if_needed(session: Session, membership: Membership, now: datetime) -> None:
    """After N failures within the window the number is locked and the moderators are told."""
    settings = get_settings()
    since = now - timedelta(minutes=settings.lockout_window_minutes)
    count = _failures_since(session, PinFailure.membership_id == membership.id, since)
    if count < settings.lockout_failures:
        return
    membership.locked_until = now + timedelta(minutes=settings.lockout_minutes)
    # Counting starts again after a lockout, so an unlock is not undone by old failures.
    session.execute(
        update(PinFailure)
        .where(PinFailure.membership_id == membership.id)
        .values(membership_id=None)
    )
    meeting = admission.current_meeting(session, membership.group_id, now)
    session.add(
        AccessEvent(
            group_id=membership.group_id,
            membership_id=membership.id,
            meeting_id=meeting.id if meeting is not None else None,
            kind=AccessEventKind.locked_out,
            at=now,
            locked_until=membership.locked_until,
            notified_at=now,
        )
    )
    # Keyed by time, not by membership: a later lockout of the same number notifies again.
    notices.notify_moderators(
        session, group_id=membership.group_id, event="participant_locked", now=now
    )
    session.flush()
    log.warning("membership.locked_out", extra={"membership_ref": membership.ref})


def _ask_new_pin(language: str, lines: tuple[Line, ...], *, first: bool = False) -> Ask:
    """Ask for a new PIN; "This is your first call" only the first time it is asked."""
    minimum = str(get_settings().pin_length)
    ask = Prompt.choose_pin if first else Prompt.choose_pin_again
    return Ask(language, "/twilio/voice/new-pin", (*lines, line(ask, min=minimum)))


def pin_problem(digits: str, membership: Membership) -> Prompt | None:
    """Why a chosen PIN is refused, or None: length, one digit, a run, the temporary PIN."""
    if not digits.isdigit() or not get_settings().pin_length <= len(digits) <= MAX_PIN_LENGTH:
        return Prompt.pin_length
    if len(set(digits)) == 1:
        return Prompt.pin_one_digit
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(digits)}
    if steps in ({1}, {9}):
        return Prompt.pin_sequence
    if membership.pin_hash is not None and security.verify_secret(digits, membership.pin_hash):
        return Prompt.pin_temporary
    return None


@runs(Mode.normal)
def choose_pin(session: Session, *, call_sid: str, digits: str) -> Ask | Farewell:
    call = _call(session, call_sid, CallStage.new_pin)
    membership = _identified(session, call)
    if call is None or membership is None:
        return _lost(call)
    problem = pin_problem(digits, membership)
    if problem is not None:
        minimum = str(get_settings().pin_length)  # the length refusal names it
        return _ask_new_pin(call.language, (line(problem, min=minimum),))
    call.pending_pin_hash = security.hash_secret(digits)
    call.stage = CallStage.confirm_pin
    return Ask(call.language, "/twilio/voice/confirm-pin", (line(Prompt.confirm_pin),))


@runs(Mode.normal)
def confirm_pin(
    session: Session, *, call_sid: str, digits: str, now: datetime
) -> Ask | Farewell | Join:
    call = _call(session, call_sid, CallStage.confirm_pin)
    membership = _identified(session, call)
    if call is None or membership is None or call.pending_pin_hash is None:
        return _lost(call)
    if not security.verify_secret(digits or "-", call.pending_pin_hash):
        call.pending_pin_hash = None
        call.stage = CallStage.new_pin
        return _ask_new_pin(call.language, (line(Prompt.pin_mismatch),))
    membership.pin_hash = call.pending_pin_hash
    membership.pin_is_temporary = False
    call.pending_pin_hash = None
    session.flush()  # the call row is written through Core from here on
    log.info("membership.pin_chosen", extra={"membership_ref": membership.ref})
    lines = (line(Prompt.pin_saved),)
    # The membership's UPDATE above (flushed) holds its row until the commit, as the lock of
    # the PIN step does: two confirmations with the same credentials are serialised.
    entrant = admission.Entrant.of(call, membership)
    return admission.admit(session, entrant=entrant, now=now, lines=lines)


def _identified(session: Session, call: Call | None) -> Membership | None:
    if call is None or call.membership_id is None:
        return None
    return session.get(Membership, call.membership_id)


def failed_pin_entries(session: Session, *, meeting: Meeting) -> int:
    """Wrong PINs typed on the group's line(s) while this meeting's dial-in window was open.

    Failed calls name no membership (that would tell which numbers exist), so they are counted
    by line and time; a line shared with other groups counts their callers too.
    """
    opens = meeting.starts_at - timedelta(minutes=get_settings().dial_in_opens_minutes_before)
    lines = select(group_lines.c.line_id).where(group_lines.c.group_id == meeting.group_id)
    query = select(func.coalesce(func.sum(Call.pin_tries), 0)).where(
        Call.line_id.in_(lines),
        Call.created_at >= opens,
        Call.created_at < admission.meeting_end(meeting),
    )
    return int(session.scalar(query) or 0)
