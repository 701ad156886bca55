"""The helpline's places and people: contact points with their lines and duty phones, their
coordinators and volunteers (a volunteer's phone encrypted, found through a blind index like
members'). Duty phones and lines are the organisation's own numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedText


class RingStrategy(StrEnum):
    """How the phones on duty ring (after a desk phone that rings first, if any)."""

    ring_all = "ring_all"  # every free phone at once; the first to press 1 takes the call
    in_turn = "in_turn"  # phone by phone, ``ring_seconds`` each, once round


class RingsAt(StrEnum):
    """Where a shift's seats ring."""

    own_phone = "own_phone"  # the volunteer's own number
    duty_mobile = "duty_mobile"  # the duty mobile the coordinator assigned to the seat
    desk_phone = "desk_phone"  # the contact point's desk phone
    # The desk phone alone for ``ring_seconds``, then each seat's mobile (its duty mobile, or
    # the volunteer's own phone): "after seven rings the call goes on to the mobile".
    desk_first = "desk_first"


class DutyPhoneKind(StrEnum):
    desk = "desk"
    mobile = "mobile"


class NotifyBy(StrEnum):
    """How a volunteer wants their reminders and cover requests."""

    sms = "sms"  # to the phone their seats ring, so a reply (NO, YES) finds them
    email = "email"  # to their staff account's address; they answer in the console


contact_point_coordinators = Table(
    "contact_point_coordinators",
    Base.metadata,
    Column(
        "contact_point_id", ForeignKey("contact_points.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
)


contact_point_volunteers = Table(
    "contact_point_volunteers",
    Base.metadata,
    Column(
        "contact_point_id", ForeignKey("contact_points.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
)


class ContactPoint(Base):
    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    ring_strategy: Mapped[RingStrategy] = mapped_column(
        string_enum(RingStrategy, 16), default=RingStrategy.ring_all
    )
    # Seconds one seat rings in turn, or the desk phone alone; seven rings are about 35 s.
    ring_seconds: Mapped[int] = mapped_column(default=35)
    # Connected to the national line: its place in the order (1 first); None: not connected.
    national_order: Mapped[int | None]
    # Out of hours, read out the national line's number.
    announce_national: Mapped[bool] = mapped_column(default=False)
    # When the national line is not staffed, it reads out this contact point's own number.
    number_on_national: Mapped[bool] = mapped_column(default=False)
    # Volunteers may sign up for or withdraw from a seat until this many hours before its start.
    signup_cutoff_hours: Mapped[int] = mapped_column(default=24)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The rota: how many serving groups take a month's shifts between them.
    rota_groups_per_month: Mapped[int] = mapped_column(default=8, server_default="8")
    # A candidate may sign up beside any experienced volunteer, not only their mentor.
    any_experienced_mentor: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The coordinator's term (local dates); the admins are told before it ends.
    coordinator_term_start: Mapped[date | None]
    coordinator_term_end: Mapped[date | None]
    # A seat not checked in this many minutes after its shift starts is a no-show.
    no_show_minutes: Mapped[int] = mapped_column(default=15)
    # This many no-shows within ``no_show_days`` and a volunteer's sign-ups need approval.
    no_show_limit: Mapped[int] = mapped_column(default=2)
    no_show_days: Mapped[int] = mapped_column(default=90)
    # Ring only the seats checked in (False: every scheduled seat, checked in or not).
    ring_checked_in_only: Mapped[bool] = mapped_column(default=False)
    # Voicemail: offered out of duty hours, and when nobody takes a call on duty; the recording
    # lasts at most ``voicemail_max_seconds``; the reviewers are reminded daily at the local
    # ``voicemail_review_at`` ("HH:MM"); each voicemail is destroyed after the retention days.
    voicemail_out_of_hours: Mapped[bool] = mapped_column(default=False)
    voicemail_no_answer: Mapped[bool] = mapped_column(default=False)
    voicemail_max_seconds: Mapped[int] = mapped_column(default=180)
    voicemail_review_at: Mapped[str] = mapped_column(String(5), default="09:00")
    voicemail_retention_days: Mapped[int] = mapped_column(default=30)

    # Nobody has taken a cover request this many minutes before the shift starts: the
    # coordinators are told.
    cover_deadline_minutes: Mapped[int] = mapped_column(default=60)
    # A shift with an open seat this many days before it starts: a cover request goes out and
    # the coordinators are told (0: never).
    unfilled_alert_days: Mapped[int] = mapped_column(default=3)


class HelplineLine(Base):
    """A line (``lines``) that belongs to the helpline: a contact point's, or, without a
    contact point, the national line. A line belongs to a group or to the helpline, never both
    (``helpline.service`` checks ``group_lines`` under the line's lock)."""

    __tablename__ = "helpline_lines"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )


class DutyPhone(Base):
    """A phone the contact point owns: its desk phone, or a duty mobile handed over at shifts."""

    __tablename__ = "duty_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DutyPhoneKind] = mapped_column(string_enum(DutyPhoneKind, 8))
    label: Mapped[str] = mapped_column(String(80))
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164, the organisation's


class Volunteer(Base):
    """A staff account on helpline duty, with the phone its seats ring (encrypted)."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str] = mapped_column(EncryptedText)
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notify_by: Mapped[NotifyBy] = mapped_column(string_enum(NotifyBy, 8), default=NotifyBy.sms)
    # Asked to cover seats others gave up (by ``notify_by``).
    cover_requests: Mapped[bool] = mapped_column(default=False)
