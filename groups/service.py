"""Groups, lines, moderators and credentials (meetings: ``groups.meetings``)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.exceptions import StaffNotFound
from auth.models import Role, Staff
from core import audit, pii, security
from core.database import paginate
from core.settings import get_settings
from groups import meetings, schedule
from groups.exceptions import (
    CapacityBelowMembers,
    GroupNotFound,
    InvalidMeetingTime,
    InvalidMembershipState,
    LineNotFound,
    LineTaken,
    LineUsedByHelpline,
)
from groups.models import (
    SEATED,
    Group,
    GroupSlot,
    Line,
    Membership,
    MembershipRole,
    MembershipStatus,
    Referral,
    ReferralStatus,
)
from groups.schemas import GroupCreate, GroupUpdate, LineCreate
from helpline.models import HelplineLine
from notifications import notices


@dataclass(frozen=True)
class Credentials:
    """Clear-text credentials, alive only for the response that shows them once."""

    membership: Membership
    participant_number: str
    pin: str


# --- access -----------------------------------------------------------------------------------


def moderated_group_ids(session: Session, staff: Staff) -> set[int] | None:
    """The groups ``staff`` moderates; ``None`` means all (admins)."""
    if staff.role is Role.admin:
        return None
    rows = session.scalars(
        select(Membership.group_id).where(
            Membership.staff_id == staff.id,
            Membership.role == MembershipRole.moderator,
            Membership.status == MembershipStatus.active,
        )
    )
    return set(rows)


def can_moderate(session: Session, *, staff: Staff, group_id: int) -> bool:
    allowed = moderated_group_ids(session, staff)
    return allowed is None or group_id in allowed


def get_group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None or not group.is_active:
        raise GroupNotFound()
    return group


# --- lines ------------------------------------------------------------------------------------


def create_line(session: Session, *, actor: Staff, data: LineCreate) -> Line:
    if session.scalar(select(Line.id).where(Line.number == data.number)) is not None:
        raise LineTaken()
    line = Line(number=data.number, language=data.language.value, label=data.label)
    session.add(line)
    session.flush()
    audit.record(
        session, actor_id=actor.id, action="line.create", target_type="line", target_id=line.id
    )
    return line


def list_lines(session: Session) -> list[Line]:
    return list(session.scalars(select(Line).order_by(Line.id)))


def get_line_by_number(session: Session, number: str) -> Line | None:
    return session.scalar(select(Line).where(Line.number == number))


def _lines(session: Session, line_ids: Sequence[int]) -> list[Line]:
    """The lines a group answers on; a line is the helpline's or a group's, never both."""
    query = select(Line).where(Line.id.in_(line_ids)).with_for_update()
    lines = list(session.scalars(query))
    if len(lines) != len(set(line_ids)):
        raise LineNotFound()
    helpline = select(HelplineLine.line_id).where(HelplineLine.line_id.in_(line_ids))
    if session.scalar(helpline) is not None:
        raise LineUsedByHelpline()
    return lines


# --- groups -----------------------------------------------------------------------------------


def create_group(session: Session, *, actor: Staff, data: GroupCreate, now: datetime) -> Group:
    group = Group(
        name=data.name,
        topic=data.topic,
        language=data.language.value,
        time_zone=data.time_zone,
        duration_minutes=data.duration_minutes,
        capacity=data.capacity,
        reminder_minutes_before=data.reminder_minutes_before,
        slots=[
            GroupSlot(weekday=s.to_slot().weekday, start_minute=s.to_slot().start_minute)
            for s in data.slots
        ],
        lines=_lines(session, data.line_ids),
    )
    session.add(group)
    session.flush()
    meetings.plan_meetings(session, group=group, now=now)
    audit.record(
        session,
        actor_id=actor.id,
        action="group.create",
        target_type="group",
        target_id=group.id,
        group_id=group.id,
    )
    return group


def update_group(
    session: Session, *, actor: Staff, group: Group, data: GroupUpdate, now: datetime
) -> Group:
    changes = data.model_dump(exclude_unset=True)
    if "capacity" in changes:
        members = count_members(session, group.id)
        if changes["capacity"] < members:
            raise CapacityBelowMembers(members)
    duration = data.duration_minutes or group.duration_minutes
    slots = (
        [s.to_slot() for s in data.slots]
        if data.slots is not None
        else [schedule.Slot(s.weekday, s.start_minute) for s in group.slots]
    )
    if schedule.overlapping(slots, duration):
        raise InvalidMeetingTime(f"weekly slots overlap: each meeting lasts {duration} minutes")
    schedule_changed = bool({"slots", "time_zone", "duration_minutes"} & changes.keys())
    before = meetings.Weekly.of(group)
    for field in (
        "name",
        "topic",
        "time_zone",
        "duration_minutes",
        "capacity",
        "reminder_minutes_before",
    ):
        if field in changes:
            setattr(group, field, changes[field])
    if data.language is not None:
        group.language = data.language.value
    if data.line_ids is not None:
        group.lines = _lines(session, data.line_ids)
    if data.slots is not None:
        group.slots = [
            GroupSlot(weekday=s.to_slot().weekday, start_minute=s.to_slot().start_minute)
            for s in data.slots
        ]
    session.flush()
    if schedule_changed:
        group.schedule_version += 1
        meetings.replan_meetings(session, group=group, now=now, before=before)
        notices.on_schedule_changed(session, group=group, now=now)
    audit.record(
        session,
        actor_id=actor.id,
        action="group.update",
        target_type="group",
        target_id=group.id,
        group_id=group.id,
        details={"fields": sorted(changes)},
    )
    return group


def list_groups(
    session: Session, *, staff: Staff, limit: int, offset: int
) -> tuple[list[Group], int]:
    query = select(Group).where(Group.is_active.is_(True))
    allowed = moderated_group_ids(session, staff)
    if allowed is not None:
        query = query.where(Group.id.in_(allowed))
    return paginate(session, query, Group.id, limit=limit, offset=offset)


def directory(session: Session) -> list[Group]:
    return list(
        session.scalars(select(Group).where(Group.is_active.is_(True)).order_by(Group.name))
    )


def count_members(session: Session, group_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.group_id == group_id,
                Membership.role == MembershipRole.member,
                Membership.status.in_(SEATED),
            )
        )
        or 0
    )


def count_pending_referrals(session: Session, group_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(Referral.group_id == group_id, Referral.status == ReferralStatus.pending)
        )
        or 0
    )


def moderators(session: Session, group_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .where(
                Membership.group_id == group_id,
                Membership.role == MembershipRole.moderator,
                Membership.status == MembershipStatus.active,
            )
            .order_by(Membership.id)
        )
    )


# --- credentials and moderators -----------------------------------------------------------------


def new_credentials(session: Session) -> tuple[str, str, str]:
    """A fresh (participant number, its blind index, PIN); the number is unique and random."""
    settings = get_settings()
    for _ in range(20):
        number = security.random_digits(settings.participant_number_length)
        index = pii.blind_index("participant", number)
        taken = session.scalar(
            select(Membership.id).where(Membership.participant_number_index == index)
        )
        if taken is None:
            return number, index, security.random_digits(settings.pin_length)
    raise RuntimeError("could not find a free participant number; raise participant_number_length")


def issue_credentials(session: Session, membership: Membership) -> Credentials:
    number, index, pin = new_credentials(session)
    membership.participant_number = number
    membership.participant_number_index = index
    membership.pin_hash = security.hash_secret(pin)
    membership.pin_is_temporary = True
    membership.locked_until = None
    session.flush()
    return Credentials(membership, number, pin)


def new_ref() -> str:
    return "m" + secrets.token_hex(8)


def assign_moderator(session: Session, *, actor: Staff, group: Group, staff_id: int) -> Credentials:
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.is_active:
        raise StaffNotFound()
    if staff.role is Role.helper:
        raise InvalidMembershipState(
            "a helper cannot moderate; change their role to moderator first"
        )
    existing = session.scalar(
        select(Membership).where(
            Membership.group_id == group.id,
            Membership.staff_id == staff.id,
            Membership.role == MembershipRole.moderator,
            Membership.status == MembershipStatus.active,
        )
    )
    if existing is not None:
        raise InvalidMembershipState("this person already moderates the group")
    membership = Membership(
        group_id=group.id,
        role=MembershipRole.moderator,
        ref=new_ref(),
        staff_id=staff.id,
        alias=staff.username,
        language=group.language,
    )
    session.add(membership)
    session.flush()
    credentials = issue_credentials(session, membership)
    audit.record(
        session,
        actor_id=actor.id,
        action="moderator.assign",
        target_type="membership",
        target_id=membership.id,
        group_id=group.id,
        details={"staff_id": staff.id},
    )
    return credentials


def remove_moderator(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> Membership:
    if (
        membership.role is not MembershipRole.moderator
        or membership.status is not MembershipStatus.active
    ):
        raise InvalidMembershipState("this is not an active moderator of the group")
    membership.status = MembershipStatus.removed
    membership.status_changed_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="moderator.remove",
        target_type="membership",
        target_id=membership.id,
        group_id=membership.group_id,
    )
    return membership
