"""Who may enter which room, and when: the admission checks after a successful login.

Each refusal has its own short, kind prompt. An admitted caller is dialled into the meeting's
room with a time limit that ends the call at the meeting's end (including any extension).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from conference import calls, logins, rooms
from conference.logins import MeetingAround
from conference.models import AccessEvent, AccessEventKind, Call, CallStage, Room
from conference.prompts import Prompt, local_day
from conference.replies import Farewell, Join, Line, Wait, line
from core.clock import local_time
from core.database import durable_commit
from core.logs import get_logger
from core.settings import get_settings
from core.work import Mode, runs
from groups.models import Group, Meeting, MeetingStatus, Membership, MembershipRole
from groups.models import MembershipStatus as Status
from groups.schedule import MAX_EXTENSION

log = get_logger(__name__)

# An admitted call that has not joined within this time no longer blocks its credentials.
ADMITTED_GRACE = timedelta(minutes=2)


def meeting_end(meeting: Meeting | MeetingAround) -> datetime:
    return meeting.ends_at + timedelta(minutes=meeting.extended_minutes)


def dial_in_opens(meeting: Meeting | MeetingAround) -> datetime:
    return meeting.starts_at - timedelta(minutes=get_settings().dial_in_opens_minutes_before)


def longest_call() -> timedelta:
    """Twilio's limit on one call (https://www.twilio.com/docs/voice/api/call-resource,
    TimeLimit): 4 hours, or 24 on an account that allows it (``max_call_hours``)."""
    return timedelta(hours=get_settings().max_call_hours)


def room_of(session: Session, meeting: Meeting) -> Room:
    """The meeting's room row as the ORM model, created by its first caller if need be."""
    query = select(Room).where(Room.meeting_id == meeting.id)
    room = session.scalar(query)
    if room is None:
        rooms.ensure_room(session.connection(), meeting.id)
        room = session.scalars(query).one()
    return room


def open_meeting(session: Session, group_id: int, now: datetime) -> MeetingAround | None:
    """The scheduled meeting whose dial-in window is open now and whose room has not ended."""
    connection = session.connection()
    around = logins.meetings_around(connection, group_id=group_id, now=now, back=MAX_EXTENSION)
    return first_open(around, now)


def first_open(around: Iterable[MeetingAround], now: datetime) -> MeetingAround | None:
    """``open_meeting`` among the meetings of ``logins.meetings_around`` (or ``logins.login``)."""
    opens_before = timedelta(minutes=get_settings().dial_in_opens_minutes_before)
    for meeting in around:
        opens = meeting.starts_at - opens_before
        if opens <= now < meeting_end(meeting) and meeting.ended_at is None:
            return meeting
    return None


def current_meeting(session: Session, group_id: int, now: datetime) -> Meeting | None:
    """``open_meeting`` as the ORM model."""
    found = open_meeting(session, group_id, now)
    return session.get_one(Meeting, found.id) if found is not None else None


def _next_after(session: Session, group_id: int, after: datetime) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group_id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > after,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def _no_meeting_lines(session: Session, group: Group, language: str, now: datetime) -> list[Line]:
    """Not open yet (today), cancelled, or no meeting now — and when the next one is."""
    upcoming = _next_after(session, group.id, now)
    today = now.astimezone(group.zone).date()
    if upcoming is not None and upcoming.starts_at.astimezone(group.zone).date() == today:
        when = local_time(upcoming.starts_at, group.time_zone)
        return [line(Prompt.not_open, time=when)]
    cancelled = session.scalar(
        select(Meeting.id).where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.cancelled,
            Meeting.local_date == today,
        )
    )
    lines = [line(Prompt.cancelled if cancelled else Prompt.no_meeting)]
    if upcoming is not None:
        day = local_day(upcoming.starts_at, group.time_zone, language)
        when = local_time(upcoming.starts_at, group.time_zone)
        lines.append(line(Prompt.next_meeting, day=day, time=when))
    return lines


@dataclass(frozen=True)
class Entrant:
    """A call that passed the login, with the membership it logged in as."""

    call_id: int
    language: str
    membership_id: int
    group_id: int
    role: MembershipRole
    status: Status
    ref: str
    # The group's meetings around now, when the login read them (``logins.login``).
    around: Sequence[MeetingAround] | None = None

    @classmethod
    def of_login(cls, login: logins.Login, member: logins.Member) -> Entrant:
        """From what ``logins.login`` read, once ``member`` is identified."""
        return cls(
            login.call_id,
            member.language,  # identified: the member's language from here on
            member.id,
            member.group_id,
            member.role,
            member.status,
            member.ref,
            login.meetings,
        )

    @classmethod
    def of(cls, call: Call, membership: Membership) -> Entrant:
        return cls(
            call.id,
            call.language,
            membership.id,
            membership.group_id,
            membership.role,
            membership.status,
            membership.ref,
        )


def admit(
    session: Session, *, entrant: Entrant, now: datetime, lines: tuple[Line, ...]
) -> Farewell | Join:
    """Run the admission checks; dial into the room or say kindly why not and hang up.

    The last check, "these credentials are in the call already", is the admitting statement's
    own (``calls.admitted``): two calls with the same credentials at the same moment, once
    serialised on the membership row (locked by ``logins.login`` or the PIN change's UPDATE),
    cannot both be let in."""
    refusal = _refusal(session, entrant, now)
    if isinstance(refusal, list):
        calls.set_call(session.connection(), entrant.call_id, stage=CallStage.ended)
        return Farewell(entrant.language, (*lines, *refusal))
    meeting = refusal
    moderator = entrant.role is MembershipRole.moderator
    if not calls.admitted(
        session.connection(),
        call_id=entrant.call_id,
        meeting_id=meeting.id,
        membership_id=entrant.membership_id,
        moderator=moderator,
        now=now,
        admitted_after=now - ADMITTED_GRACE,
    ):
        return Farewell(entrant.language, (*lines, *_duplicate(session, entrant, meeting, now)))
    log.info("call.admitted", extra={"call_id": entrant.call_id, "meeting_id": meeting.id})
    seconds = dial_seconds(meeting, now)
    return Join(
        entrant.language,
        lines=(*lines, line(Prompt.joining)),
        room=meeting.room,
        label=entrant.ref,
        moderator=moderator,
        time_limit=seconds,
    )


def _refusal(session: Session, entrant: Entrant, now: datetime) -> MeetingAround | list[Line]:
    """The meeting to enter, or what to say instead: access ended, no meeting now (and when
    the next one is), the room locked, these credentials already in the call."""
    if entrant.status is not Status.active:
        return [line(Prompt.access_ended)]
    if entrant.around is None:
        meeting = open_meeting(session, entrant.group_id, now)
    else:
        meeting = first_open(entrant.around, now)
    if meeting is None:
        group = session.get_one(Group, entrant.group_id)
        return _no_meeting_lines(session, group, entrant.language, now)
    locked = (
        meeting.locked
        if meeting.room_id is not None
        else rooms.new_room(session.connection(), meeting.id)
    )
    if locked and entrant.role is not MembershipRole.moderator:
        return [line(Prompt.room_locked)]
    return meeting


def _duplicate(
    session: Session, entrant: Entrant, meeting: MeetingAround, now: datetime
) -> list[Line]:
    """These credentials are in the call already: recorded for the moderators, said kindly."""
    durable_commit(session)  # the moderators' record of it must outlive a database crash
    calls.set_call(session.connection(), entrant.call_id, meeting_id=meeting.id)
    session.add(
        AccessEvent(
            group_id=entrant.group_id,
            membership_id=entrant.membership_id,
            meeting_id=meeting.id,
            kind=AccessEventKind.duplicate,
            at=now,
        )
    )
    log.warning("call.duplicate_credentials", extra={"membership_ref": entrant.ref})
    return [line(Prompt.already_in_call)]


# The end of a meeting is the lifecycle job's: it completes the conference through the API at
# the scheduled end plus extensions. A <Dial timeLimit> is only the safety net if that fails,
# and it cannot be changed once the Dial runs (https://www.twilio.com/docs/voice/twiml/dial,
# docs/twilio.md). So it leaves room for this many extensions, which then drop nobody; after
# them the old limit ends the leg and ``dial_ended`` dials the caller straight back in. The
# rule that holds: a call outlasts its meeting by at most this headroom, and never by more than
# Twilio's 4-hour maximum call duration.
EXTENSIONS_WITHOUT_A_DROP = 2
# A Dial that ended sooner than this after it was dialled is not dialled again (``_may_rejoin``).
REJOIN_AFTER = timedelta(seconds=60)


def dial_seconds(meeting: Meeting | MeetingAround, now: datetime) -> int:
    headroom = timedelta(minutes=EXTENSIONS_WITHOUT_A_DROP * get_settings().extension_minutes)
    seconds = int((meeting_end(meeting) + headroom - now).total_seconds())
    return max(1, min(seconds, int(longest_call().total_seconds())))


def _dial(
    call: Call, meeting: Meeting, membership: Membership, now: datetime, lines: tuple[Line, ...]
) -> Join:
    seconds = dial_seconds(meeting, now)
    return Join(
        call.language,
        lines=lines,
        room=meeting.room,
        label=membership.ref,
        moderator=call.is_moderator,
        time_limit=seconds,
    )


@runs(Mode.normal)
def dial_ended(
    session: Session, *, call_sid: str, call_status: str, now: datetime
) -> Farewell | Join:
    """The ``<Dial>`` is over: the caller hung up, was removed, or reached the time limit.

    After an extension the old time limit ends the dial early; a caller still on the line is
    then dialled back into the room with the new limit.
    """
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        return Farewell("en")
    rejoin = _may_rejoin(session, call, call_status, now)
    if rejoin is not None:
        meeting, membership = rejoin
        call.admitted_at = now  # this dial's time, for the REJOIN_AFTER rule
        return _dial(call, meeting, membership, now, ())
    call.stage = CallStage.ended
    if call.left_at is None and call.joined_at is not None:
        call.left_at = now
    return Farewell(call.language)


def _may_rejoin(
    session: Session, call: Call, call_status: str, now: datetime
) -> tuple[Meeting, Membership] | None:
    if call_status != "in-progress" or call.stage is CallStage.ended:
        return None
    if call.meeting_id is None or call.membership_id is None:
        return None
    meeting = session.get_one(Meeting, call.meeting_id)
    membership = session.get_one(Membership, call.membership_id)
    # Ending a conference ends every leg's <Dial>, and Twilio posts each Dial action at once,
    # possibly before the request that ended it has committed. The end holds the room's row
    # lock from before it asks Twilio until it commits (controls.end_now; the lifecycle job
    # locks the rooms it steps): read under that lock, the room is seen ended, never rejoined.
    room = session.scalars(
        select(Room)
        .where(Room.meeting_id == meeting.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if room is None or membership.status is not Status.active or room.ended_at is not None:
        return None
    if meeting_end(meeting) - now < timedelta(seconds=30):
        return None
    if call.admitted_at is not None and now - call.admitted_at < REJOIN_AFTER:
        # A leg that ended moments after it was dialled never got into the room: Twilio refused
        # it (a participantLabel already in the conference is error 16025, and "the call will
        # not be added into the conference and instead continue to the next TwiML verb":
        # https://www.twilio.com/docs/voice/twiml/conference). Dialling it again would loop.
        return None
    return meeting, membership


@runs(Mode.autocommit)
def wait_prompt(connection: Connection, *, call_sid: str) -> Wait:
    """While the conference has not started: when the meeting starts, then music.

    "Conferences will not start until at least two participants join"
    (https://www.twilio.com/docs/voice/twiml/conference), so a moderator who dials in first
    waits too: they hear that the members will join them, not to wait for a moderator.
    """
    waiting = calls.waiting(connection, call_sid)
    if waiting is None:
        return Wait("en")
    if waiting.moderator:
        return Wait(waiting.language, (line(Prompt.moderator_wait),))
    when = local_time(waiting.starts_at, waiting.time_zone)
    return Wait(waiting.language, (line(Prompt.wait, time=when),))
