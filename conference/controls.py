"""Moderator controls of a live meeting, acting through :class:`ConferenceControl`.

Our roster changes only when Twilio confirmed the action, or when Twilio says the participant is
gone (20404): then the roster is corrected and the moderator told. A 5xx or a timeout changes
nothing and says so (502), so the moderator can simply try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from conference import events
from conference.admission import (
    dial_in_opens,
    longest_call,
    meeting_end,
    room_of,
)
from conference.exceptions import (
    CallLimitReached,
    ConferenceNotStarted,
    ControlFailed,
    EjectedButStillInCall,
    ExtensionLimitReached,
    ParticipantLeft,
    ParticipantNotInCall,
)
from conference.models import AccessEvent, Call, CallStage, Room
from conference.providers import ConferenceControl, ControlError, ParticipantGone
from core import audit
from core.settings import get_settings
from groups import members as members_service
from groups.models import Meeting, Membership
from groups.schedule import MAX_EXTENSION


class ParticipantAction(StrEnum):
    mute = "mute"
    unmute = "unmute"
    hold = "hold"
    resume = "resume"
    kick = "kick"
    eject = "eject"


class RoomAction(StrEnum):
    mute_all = "mute-all"
    lock = "lock"
    unlock = "unlock"
    end = "end"
    extend = "extend"


@dataclass(frozen=True)
class Roster:
    meeting: Meeting
    room: Room
    ends_at: datetime
    participants: list[tuple[Call, Membership]]
    attempts: list[AccessEvent]


def live_calls(session: Session, meeting_id: int) -> list[Call]:
    return list(
        session.scalars(
            select(Call)
            .where(
                Call.meeting_id == meeting_id,
                Call.stage == CallStage.in_conference,
                Call.left_at.is_(None),
            )
            .order_by(Call.joined_at, Call.id)
        )
    )


def roster(session: Session, *, meeting: Meeting) -> Roster:
    calls = live_calls(session, meeting.id)
    attempts = session.scalars(
        select(AccessEvent)
        .where(AccessEvent.meeting_id == meeting.id)
        .order_by(AccessEvent.at.desc(), AccessEvent.id.desc())
    )
    return Roster(
        meeting=meeting,
        room=room_of(session, meeting),
        ends_at=meeting_end(meeting),
        participants=[(c, session.get_one(Membership, c.membership_id)) for c in calls],
        attempts=list(attempts),
    )


def get_live_call(session: Session, *, meeting: Meeting, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None or call.meeting_id != meeting.id or call.left_at is not None:
        raise ParticipantNotInCall()
    if call.stage is not CallStage.in_conference:
        raise ParticipantNotInCall()
    return call


def _sid(session: Session, meeting: Meeting) -> str:
    room = room_of(session, meeting)
    if room.conference_sid is None or room.ended_at is not None:
        raise ConferenceNotStarted()
    return room.conference_sid


def _act(call: Call, name: str, action: Callable[[], None], now: datetime) -> None:
    try:
        action()
    except ParticipantGone:
        events.mark_left(call, now)
        raise ParticipantLeft() from None
    except ControlError:
        raise ControlFailed(name) from None


def _audit(session: Session, actor: Staff, action: str, meeting: Meeting, call: Call) -> None:
    audit.record(
        session,
        actor_id=actor.id,
        action=f"conference.{action}",
        target_type="membership",
        target_id=call.membership_id,
        group_id=meeting.group_id,
        details={"meeting_id": meeting.id},
    )


def mute_all(
    session: Session, *, actor: Staff, meeting: Meeting, control: ConferenceControl, now: datetime
) -> Roster:
    """Mute every member (not moderators); those already gone are dropped from the roster."""
    sid = _sid(session, meeting)
    for call in live_calls(session, meeting.id):
        if call.is_moderator or call.muted:
            continue
        try:
            _act(call, "mute", partial(control.set_muted, sid, call.live_sid, muted=True), now)
        except ParticipantLeft:
            continue
        call.muted = True
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="conference.mute_all",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
    )
    return roster(session, meeting=meeting)


def eject_membership(
    session: Session,
    *,
    actor: Staff,
    membership: Membership,
    control: ConferenceControl,
    now: datetime,
) -> Membership:
    """Remove every live call of the membership, then eject it for good (groups.members.eject).

    The membership's row is locked first, so a login of these credentials waits for this
    transaction and then finds them ejected. The ejection, and with it the audit entry, comes
    after the calls to Twilio: the audit chain's lock is held from the entry to the commit, and
    no other staff action should wait behind a provider's answer.
    """
    session.execute(select(Membership.id).where(Membership.id == membership.id).with_for_update())
    calls = session.scalars(
        select(Call).where(
            Call.membership_id == membership.id,
            Call.left_at.is_(None),
            Call.stage.in_((CallStage.admitted, CallStage.in_conference)),
        )
    )
    still_in_call = False
    for call in list(calls):
        room = session.scalar(select(Room).where(Room.meeting_id == call.meeting_id))
        if room is None or room.conference_sid is None:
            events.mark_left(call, now)
            continue
        try:
            control.remove(room.conference_sid, call.live_sid)
        except ParticipantGone:
            pass  # already gone: exactly what we wanted
        except ControlError:
            still_in_call = True
            continue
        events.mark_left(call, now)
    members_service.eject(session, actor=actor, membership=membership, now=now)
    session.flush()
    if still_in_call:
        raise EjectedButStillInCall()
    return membership


def set_locked(session: Session, *, actor: Staff, meeting: Meeting, locked: bool) -> Roster:
    """A locked room admits moderators only; who is in stays in."""
    room_of(session, meeting).locked = locked
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="conference.lock" if locked else "conference.unlock",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
    )
    return roster(session, meeting=meeting)


def end_now(
    session: Session, *, actor: Staff, meeting: Meeting, control: ConferenceControl, now: datetime
) -> Roster:
    sid = _sid(session, meeting)
    # Locked before Twilio is asked: the Dial actions the end causes wait for this commit and
    # see the room ended (admission._may_rejoin), instead of dialling everyone back in.
    room = session.scalars(
        select(Room).where(Room.meeting_id == meeting.id).with_for_update()
    ).one()
    try:
        control.end(sid)
    except ParticipantGone:
        pass  # Twilio ended it already
    except ControlError:
        raise ControlFailed("end of the meeting") from None
    events.end_room(session, room, now)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="conference.end",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
    )
    return roster(session, meeting=meeting)


def extend(
    session: Session, *, actor: Staff, meeting: Meeting, control: ConferenceControl, now: datetime
) -> Roster:
    """Move the end by the extension; the announcements follow it. The legs' Dial limits leave
    room for extensions (``admission.dial_seconds``), so nobody is dropped; the calls' own
    maximum duration (Call resource ``TimeLimit``, the whole call) moves to the new end."""
    room = room_of(session, meeting)
    if room.ended_at is not None or meeting_end(meeting) <= now:
        raise ConferenceNotStarted()
    extension = get_settings().extension_minutes
    if timedelta(minutes=meeting.extended_minutes + extension) > MAX_EXTENSION:
        raise ExtensionLimitReached(int(MAX_EXTENSION.total_seconds() // 3600))
    # A member who dialled in when dial-in opened must not be cut off by the call's own limit
    # before the end: Twilio ends every call at that limit, whatever the meeting.
    if (
        meeting_end(meeting) + timedelta(minutes=extension) - dial_in_opens(meeting)
        > longest_call()
    ):
        raise CallLimitReached(get_settings().max_call_hours)
    meeting.extended_minutes += extension
    end = meeting_end(meeting)
    if end - timedelta(minutes=5) > now:
        room.warned_five_at = None
    if end - timedelta(minutes=1) > now:
        room.warned_one_at = None
    session.flush()
    for call in live_calls(session, meeting.id):
        seconds = int((end - call.created_at).total_seconds())
        try:
            control.set_time_limit(call.live_sid, seconds)
        except ParticipantGone:
            events.mark_left(call, now)
        except ControlError:
            # The meeting is extended either way: a call whose old limit ends its <Dial> is
            # dialled back in (admission.dial_ended), so nobody is cut off early.
            room.last_error = "time limit not updated for one call"
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="conference.extend",
        target_type="meeting",
        target_id=meeting.id,
        group_id=meeting.group_id,
        details={"extended_minutes": meeting.extended_minutes},
    )
    return roster(session, meeting=meeting)


def access_events(session: Session, *, group_id: int, limit: int, offset: int) -> list[AccessEvent]:
    """Lockouts and duplicate logins of a group, newest first (what moderators must see)."""
    return list(
        session.scalars(
            select(AccessEvent)
            .where(AccessEvent.group_id == group_id)
            .order_by(AccessEvent.at.desc(), AccessEvent.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def act_on_participant(
    session: Session,
    *,
    actor: Staff,
    meeting: Meeting,
    call: Call,
    action: ParticipantAction,
    control: ConferenceControl,
    now: datetime,
) -> Roster:
    if action is ParticipantAction.eject:
        membership = session.get_one(Membership, call.membership_id)
        eject_membership(session, actor=actor, membership=membership, control=control, now=now)
        return roster(session, meeting=meeting)
    sid = _sid(session, meeting)
    sids = (sid, call.live_sid)
    operations: dict[ParticipantAction, Callable[[], None]] = {
        ParticipantAction.mute: lambda: control.set_muted(*sids, muted=True),
        ParticipantAction.unmute: lambda: control.set_muted(*sids, muted=False),
        ParticipantAction.hold: lambda: control.set_hold(*sids, hold=True),
        ParticipantAction.resume: lambda: control.set_hold(*sids, hold=False),
        ParticipantAction.kick: lambda: control.remove(*sids),
    }
    _act(call, action.value, operations[action], now)
    if action is ParticipantAction.kick:
        events.mark_left(call, now)
    elif action in (ParticipantAction.mute, ParticipantAction.unmute):
        call.muted = action is ParticipantAction.mute
    else:
        call.on_hold = action is ParticipantAction.hold
    session.flush()
    _audit(session, actor, action.value, meeting, call)
    return roster(session, meeting=meeting)


def act_on_room(
    session: Session,
    *,
    actor: Staff,
    meeting: Meeting,
    action: RoomAction,
    control: ConferenceControl,
    now: datetime,
) -> Roster:
    if action is RoomAction.mute_all:
        return mute_all(session, actor=actor, meeting=meeting, control=control, now=now)
    if action in (RoomAction.lock, RoomAction.unlock):
        return set_locked(session, actor=actor, meeting=meeting, locked=action is RoomAction.lock)
    if action is RoomAction.end:
        return end_now(session, actor=actor, meeting=meeting, control=control, now=now)
    return extend(session, actor=actor, meeting=meeting, control=control, now=now)
