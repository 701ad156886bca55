from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedText


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class ReferralStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class MembershipRole(StrEnum):
    member = "member"
    moderator = "moderator"


class MembershipStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    ejected = "ejected"
    erased = "erased"
    removed = "removed"  # a moderator's assignment ended (not a sanction)


# Still in the group (a suspension is temporary): holds one of its places, may get a new PIN.
SEATED = (MembershipStatus.active, MembershipStatus.suspended)


group_lines = Table(
    "group_lines",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("line_id", ForeignKey("lines.id", ondelete="RESTRICT"), primary_key=True),
)


class Line(Base):
    """A phone number members dial; its Voice URL is ``/twilio/voice``."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164, the organisation's own
    language: Mapped[str] = mapped_column(String(2))
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    topic: Mapped[str] = mapped_column(String(200))  # never sent by SMS
    language: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(default=60)
    capacity: Mapped[int] = mapped_column(default=12)
    reminder_minutes_before: Mapped[int] = mapped_column(default=180)
    # Bumped on every schedule change: the calendar invitation's SEQUENCE.
    schedule_version: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    slots: Mapped[list[GroupSlot]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        order_by="(GroupSlot.weekday, GroupSlot.start_minute)",
    )
    lines: Mapped[list[Line]] = relationship(secondary=group_lines, order_by="Line.id")

    @property
    def zone(self) -> ZoneInfo:
        """The zone whose wall clock the group's slots and meetings keep."""
        return ZoneInfo(self.time_zone)


class GroupSlot(Base):
    """A fixed weekly meeting time in the group's local time (weekday 0 = Monday)."""

    __tablename__ = "group_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_minute: Mapped[int]  # minutes after local midnight

    group: Mapped[Group] = relationship(back_populates="slots")


class Meeting(Base):
    """One materialised occurrence, stored in UTC, computed from a slot in the group's zone."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("group_id", "local_date", "slot_start_minute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    # The planned local slot this occurrence stands for (kept when the occurrence is moved).
    local_date: Mapped[date]
    slot_start_minute: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    original_starts_at: Mapped[datetime | None]  # set when moved
    status: Mapped[MeetingStatus] = mapped_column(
        string_enum(MeetingStatus, 16), default=MeetingStatus.scheduled
    )
    topic: Mapped[str | None] = mapped_column(String(200))
    # The conference room name: random, carries no personal or group data.
    room: Mapped[str] = mapped_column(String(40), unique=True)
    extended_minutes: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    # When its reminders were first queued: from then on members may have been reminded of it,
    # so a schedule change that drops it cancels it with a notice instead of deleting it.
    reminders_queued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()


class Referral(Base):
    """A join request filed by a helper or moderator for a caller they know."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(2))
    consent_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[ReferralStatus] = mapped_column(
        string_enum(ReferralStatus, 16), default=ReferralStatus.pending, index=True
    )
    flag_already_member: Mapped[bool] = mapped_column(default=False)
    flag_previously_ejected: Mapped[bool] = mapped_column(default=False)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(EncryptedText)  # free text: may name people
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A member's or moderator's place in a group, with dial-in credentials.

    The participant number is needed again for invitations, so it is encrypted (Fernet) and found
    through a keyed blind index; the PIN exists only as an argon2id hash.
    """

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    role: Mapped[MembershipRole] = mapped_column(string_enum(MembershipRole, 16))
    status: Mapped[MembershipStatus] = mapped_column(
        string_enum(MembershipStatus, 16), default=MembershipStatus.active, index=True
    )
    # Opaque per-membership reference: the conference participantLabel and statistics key.
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    alias: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(2))
    participant_number: Mapped[str | None] = mapped_column(EncryptedText)
    participant_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_is_temporary: Mapped[bool] = mapped_column(default=True)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime | None]

    group: Mapped[Group] = relationship()
