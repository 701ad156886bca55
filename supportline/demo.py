"""A demo organisation on the configured database, seeded idempotently through the real services.

Demo only: staff passwords, participant numbers and PINs are derived from the secret key with
HMAC, so every run prints the same credentials although only their hashes are stored. Members
come through the real referral → approval path. No real system ever prints a PIN again. The
helpline's contact points, volunteers and shifts are ``supportline.demo_helpline``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core import pii, security
from core.settings import get_settings
from groups import members as members_service
from groups import service as groups_service
from groups.models import (
    SEATED,
    Group,
    Line,
    Meeting,
    Membership,
    MembershipRole,
)
from groups.schemas import GroupCreate, LineCreate, ReferralCreate, SlotSchema
from notifications import notices
from supportline import demo_helpline, demo_meetings
from supportline.demo_secrets import demo_digits, demo_password, demo_staff

STAFF = (
    ("demo-admin", Role.admin),
    ("demo-moderator", Role.moderator),
    ("demo-helper", Role.helper),
)
# Numbers from the 555-0100..0199 range, reserved for fiction in North America.
MODERATOR_PHONE = "+12025550199"  # the demo moderator's own phone, to dial in from
LINES = (
    ("+12025550100", "en", "demo line (English)"),
    ("+12025550101", "pl", "demo line (Polish)"),
)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    topic: str
    language: str
    time_zone: str
    slots: tuple[tuple[str, str], ...]
    line: int  # index into LINES
    aliases: tuple[str, ...]


GROUPS = (
    GroupSpec(
        "Thursday evening (demo)",
        "internet addiction",
        "en",
        "America/New_York",
        (("mon", "20:00"), ("thu", "20:00")),
        0,
        ("Alex", "Sam", "Robin"),
    ),
    GroupSpec(
        "Grupa wtorkowa (demo)",
        "wiara i wątpliwości",
        "pl",
        "Europe/Warsaw",
        (("tue", "19:00"), ("fri", "19:00")),
        1,
        ("Ania", "Bartek", "Kasia"),
    ),
    GroupSpec(
        "קבוצת יום ראשון (demo)",
        "זהות ואמונה",
        "he",
        "Asia/Jerusalem",
        (("sun", "20:30"), ("wed", "20:30")),
        0,
        ("נועה", "יונתן", "מאיה"),
    ),
)


@dataclass(frozen=True)
class DemoCredentials:
    participant_number: str
    pin: str | None  # None once its owner chose a PIN of their own on a first call


@dataclass(frozen=True)
class DemoMember:
    alias: str
    participant_number: str
    pin: str | None  # as in DemoCredentials
    phone: str
    email: str
    language: str


@dataclass
class DemoGroup:
    group: Group
    line: str
    moderators: list[DemoCredentials] = field(default_factory=list)
    members: list[DemoMember] = field(default_factory=list)


@dataclass
class Demo:
    staff: list[tuple[str, str, Role]]  # username, password, role
    lines: list[str]
    groups: list[DemoGroup]
    helpline: demo_helpline.DemoHelpline
    meeting_now: Meeting | None = None  # the first group's meeting in progress (--meeting-now)
    meeting_later: Meeting | None = None  # another group's next meeting, later today


# --- demo contact data ------------------------------------------------------------------------


def demo_phone(group_index: int, member_index: int) -> str:
    return f"+1202555{110 + group_index * 10 + member_index:04d}"


def demo_email(group_index: int, member_index: int) -> str:
    return f"demo.member{group_index + 1}{member_index + 1}@example.org"


# --- seeding ------------------------------------------------------------------------------------


def seed(session: Session, *, now: datetime, meeting_now: bool = False) -> Demo:
    """Create what is missing of the demo organisation and return its credentials."""
    staff = {username: demo_staff(session, username, role) for username, role in STAFF}
    admin, moderator, helper = (staff[username] for username, _role in STAFF)
    lines = [_line(session, admin, *spec) for spec in LINES]
    groups = []
    for index, spec in enumerate(GROUPS):
        group = _group(session, admin, spec, lines[spec.line], now)
        seeded = DemoGroup(group=group, line=lines[spec.line].number)
        seeded.moderators.append(_moderator(session, admin, moderator, group, index))
        for member_index, alias in enumerate(spec.aliases):
            seeded.members.append(
                _member(
                    session,
                    helper=helper,
                    moderator=moderator,
                    group=group,
                    group_index=index,
                    member_index=member_index,
                    alias=alias,
                    now=now,
                )
            )
        groups.append(seeded)
    demo = Demo(
        staff=[(username, demo_password(username), role) for username, role in STAFF],
        lines=[line.number for line in lines],
        groups=groups,
        helpline=demo_helpline.seed(session, admin, now=now, on_duty_now=meeting_now),
    )
    if meeting_now:
        others = [g.group for g in groups[1:]]
        demo.meeting_now = demo_meetings.in_progress(session, admin, groups[0].group, now)
        demo.meeting_later = demo_meetings.later_today(session, admin, others, now)
    return demo


def _line(session: Session, admin: Staff, number: str, language: str, label: str) -> Line:
    existing = groups_service.get_line_by_number(session, number)
    if existing is not None:
        return existing
    data = LineCreate(number=number, language=language, label=label)
    return groups_service.create_line(session, actor=admin, data=data)


def _group(session: Session, admin: Staff, spec: GroupSpec, line: Line, now: datetime) -> Group:
    existing = session.scalar(
        select(Group).where(Group.name == spec.name, Group.is_active.is_(True)).limit(1)
    )
    if existing is not None:
        return existing
    data = GroupCreate(
        name=spec.name,
        topic=spec.topic,
        language=spec.language,
        time_zone=spec.time_zone,
        slots=[SlotSchema(weekday=day, start=start) for day, start in spec.slots],
        capacity=8,
        line_ids=[line.id],
    )
    return groups_service.create_group(session, actor=admin, data=data, now=now)


def _moderator(
    session: Session, admin: Staff, moderator: Staff, group: Group, group_index: int
) -> DemoCredentials:
    membership = next(
        (m for m in groups_service.moderators(session, group.id) if m.staff_id == moderator.id),
        None,
    )
    if membership is None:
        credentials = groups_service.assign_moderator(
            session, actor=admin, group=group, staff_id=moderator.id
        )
        membership = credentials.membership
        _set_demo_credentials(session, membership, f"group{group_index}:moderator", now=None)
    return _credentials_of(membership, f"group{group_index}:moderator")


def _member(
    session: Session,
    *,
    helper: Staff,
    moderator: Staff,
    group: Group,
    group_index: int,
    member_index: int,
    alias: str,
    now: datetime,
) -> DemoMember:
    phone, email = demo_phone(group_index, member_index), demo_email(group_index, member_index)
    key = f"group{group_index}:member{member_index}"
    membership = session.scalar(
        select(Membership).where(
            Membership.group_id == group.id,
            Membership.role == MembershipRole.member,
            Membership.phone_index == pii.phone_index(phone),
            Membership.status.in_(SEATED),
        )
    )
    if membership is None:
        referral = members_service.create_referral(
            session,
            actor=helper,
            data=ReferralCreate(
                group_id=group.id,
                alias=alias,
                phone=phone,
                email=email,
                language=group.language,
                consent=True,
            ),
            now=now,
        )
        approved = members_service.approve_referral(
            session, actor=moderator, referral=referral, now=now
        )
        membership = approved.membership
        _set_demo_credentials(session, membership, key, now=now)
    credentials = _credentials_of(membership, key)
    return DemoMember(
        alias=alias,
        participant_number=credentials.participant_number,
        pin=credentials.pin,
        phone=phone,
        email=email,
        language=membership.language,
    )


def _set_demo_credentials(
    session: Session, membership: Membership, key: str, *, now: datetime | None
) -> None:
    """Replace the random credentials of a fresh membership by reproducible ones; the PIN SMS
    queued at approval is replaced too (``now``: when), so a demo member with a real SMS account
    gets the PIN that works."""
    settings = get_settings()
    for attempt in range(100):
        number = demo_digits(f"number:{key}:{attempt}", settings.participant_number_length)
        index = pii.blind_index("participant", number)
        taken = session.scalar(
            select(Membership.id).where(
                Membership.participant_number_index == index, Membership.id != membership.id
            )
        )
        if taken is None:
            break
    else:
        raise RuntimeError("no free demo participant number")
    membership.participant_number = number
    membership.participant_number_index = index
    pin = demo_digits(f"pin:{key}", settings.pin_length)
    membership.pin_hash = security.hash_secret(pin)
    session.flush()
    if now is not None and membership.phone is not None:
        notices.send_pin(session, membership=membership, pin=pin, now=now)


def _credentials_of(membership: Membership, key: str) -> DemoCredentials:
    assert membership.participant_number is not None
    pin = demo_digits(f"pin:{key}", get_settings().pin_length)
    return DemoCredentials(
        membership.participant_number, pin if membership.pin_is_temporary else None
    )
