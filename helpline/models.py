"""The helpline's tables: contact points, their lines and duty phones, volunteers, the weekly
shift templates and the planned shifts with their seats, and the calls with the legs they rang.

Phone numbers of volunteers are encrypted and found through a blind index, like members'. A
caller's number is never stored: only its keyed HMAC (``caller_key``), for a repeat-caller count
and the block list. Duty phones and lines are the organisation's own numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedBytes, EncryptedText


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


class CheckInBy(StrEnum):
    """How a volunteer checked in for a seat."""

    sms = "sms"  # replied to the shift-start SMS
    console = "console"
    api = "api"
    call = "call"  # took the first call of the shift


class NotifyBy(StrEnum):
    """How a volunteer wants their reminders and cover requests."""

    sms = "sms"  # to the phone their seats ring, so a reply (NO, YES) finds them
    email = "email"  # to their staff account's address; they answer in the console


class ShiftStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class CallOutcome(StrEnum):
    ringing = "ringing"  # still in progress
    answered = "answered"
    missed = "missed"  # rang, nobody took it
    busy = "busy"  # on duty, but every seat was already in a call
    out_of_hours = "out_of_hours"
    hung_up = "hung_up"  # the caller hung up while it rang
    blocked = "blocked"


class LegOutcome(StrEnum):
    ringing = "ringing"
    taken = "taken"  # pressed 1 first
    declined = "declined"  # answered without pressing 1 (or a voicemail picked up)
    too_late = "too_late"  # pressed 1 after someone else took the call
    not_answered = "not_answered"


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


class ShiftTemplate(Base):
    """A weekly shift in the contact point's local time. ``end_minute`` at or before
    ``start_minute`` is an overnight shift, ending the next day."""

    __tablename__ = "shift_templates"
    __table_args__ = (
        CheckConstraint("seats >= 1 AND seats <= 10", name="seats_range"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]  # 0 = Monday
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    seats: Mapped[int]
    rings_at: Mapped[RingsAt] = mapped_column(string_enum(RingsAt, 16))


class Shift(Base):
    """One planned occurrence of a template, in UTC, with its seats."""

    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("template_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift_templates.id", ondelete="SET NULL")
    )
    local_date: Mapped[date]
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    rings_at: Mapped[RingsAt] = mapped_column(string_enum(RingsAt, 16))
    status: Mapped[ShiftStatus] = mapped_column(
        string_enum(ShiftStatus, 16), default=ShiftStatus.scheduled
    )

    seats: Mapped[list[Seat]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="Seat.position"
    )


class Seat(Base):
    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint("shift_id", "position"),
        UniqueConstraint("shift_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 1, 2 …: the order seats ring in turn
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )
    duty_phone_id: Mapped[int | None] = mapped_column(
        ForeignKey("duty_phones.id", ondelete="SET NULL")
    )
    checked_in_at: Mapped[datetime | None]
    checked_in_by: Mapped[CheckInBy | None] = mapped_column(string_enum(CheckInBy, 8))
    # A sign-up waiting for the coordinator's approval (a volunteer with too many no-shows):
    # the seat is held but not rung.
    pending_approval: Mapped[bool] = mapped_column(default=False)

    shift: Mapped[Shift] = relationship(back_populates="seats")


class HelplineCall(Base):
    """One call to a contact point or the national line, as the coordinator's log shows it."""

    __tablename__ = "helpline_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Twilio's id of the call (Twilio's logs hold the caller's number under it): dropped with
    # ``caller_key`` by retention; the rest of the record stays for the log.
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    national: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(2))  # what the caller hears
    # Where it was routed (for a national call: the contact point it went to, if any).
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="SET NULL"), index=True
    )
    caller_key: Mapped[str | None] = mapped_column(String(64), index=True)  # HMAC; None: withheld
    started_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    talk_seconds: Mapped[int | None]
    outcome: Mapped[CallOutcome] = mapped_column(
        string_enum(CallOutcome, 16), default=CallOutcome.ringing
    )
    step: Mapped[int] = mapped_column(default=0)  # which ring step runs (in turn, desk first)
    taken_by_leg_id: Mapped[int | None]

    legs: Mapped[list[Leg]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="Leg.id"
    )


class Leg(Base):
    """One phone rung for a call: whose seat, which phone, and what came of it."""

    __tablename__ = "helpline_legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(
        ForeignKey("helpline_calls.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[int]
    seat_id: Mapped[int | None] = mapped_column(ForeignKey("seats.id", ondelete="SET NULL"))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )
    duty_phone_id: Mapped[int | None] = mapped_column(
        ForeignKey("duty_phones.id", ondelete="SET NULL"), index=True
    )
    desk_first: Mapped[bool] = mapped_column(default=False)  # the desk phone, rung alone first
    rung_at: Mapped[datetime]
    outcome: Mapped[LegOutcome] = mapped_column(
        string_enum(LegOutcome, 16), default=LegOutcome.ringing
    )

    call: Mapped[HelplineCall] = relationship(back_populates="legs")


class CallerBlock(Base):
    """A caller a coordinator blocked from a contact point for a time, by HMAC only."""

    __tablename__ = "caller_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    caller_key: Mapped[str] = mapped_column(String(64), index=True)
    until: Mapped[datetime]
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidacyStatus(StrEnum):
    open = "open"  # still a candidate: signs up only beside an experienced volunteer
    confirmed = "confirmed"  # confirmed as experienced


class ServingGroup(Base):
    """A group that agreed to take its turn at a contact point's shifts (Bielsko-Biała's rota).

    A group of ``groups`` when the organisation runs it (``group_id``), or just a name: most
    groups that serve a contact point are not in the system. The name is kept either way, so the
    rota still reads after a group is deleted. Its representative is a staff account, or a
    contact name and phone (encrypted, found through a blind index like volunteers' phones).
    """

    __tablename__ = "serving_groups"
    __table_args__ = (UniqueConstraint("contact_point_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int]  # the order groups take their turns in
    paused: Mapped[bool] = mapped_column(default=False)
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    contact_name: Mapped[str | None] = mapped_column(EncryptedText)
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText)
    contact_phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RotaMonth(Base):
    """A generated month of the rota: where the turn started and where the next month goes on."""

    __tablename__ = "rota_months"
    __table_args__ = (UniqueConstraint("contact_point_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[date]  # its first day
    start_position: Mapped[int]  # the first group's ``position`` (or the next one after it)
    next_position: Mapped[int]  # where the next month goes on
    generated_at: Mapped[datetime]


class RotaAssignment(Base):
    """Which serving group covers a shift (None: no group, set by hand). ``edited`` marks a hand
    change, which generating the month again leaves alone. ``duty_phone_id``: the group serves as
    a whole, on this duty mobile (its first free seat rings it)."""

    __tablename__ = "rota_assignments"
    __table_args__ = (Index("ix_rota_assignments_point_month", "contact_point_id", "month"),)

    shift_id: Mapped[int] = mapped_column(
        ForeignKey("shifts.id", ondelete="CASCADE"), primary_key=True
    )
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE")
    )
    month: Mapped[date]
    serving_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("serving_groups.id", ondelete="SET NULL"), index=True
    )
    edited: Mapped[bool] = mapped_column(default=False)
    duty_phone_id: Mapped[int | None] = mapped_column(
        ForeignKey("duty_phones.id", ondelete="SET NULL")
    )


class Candidacy(Base):
    """A volunteer's candidate period with an experienced volunteer of the contact point as mentor.
    A volunteer with no open candidacy is experienced."""

    __tablename__ = "candidacies"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # local date; the coordinator is told a month before
    status: Mapped[CandidacyStatus] = mapped_column(
        string_enum(CandidacyStatus, 16), default=CandidacyStatus.open
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoShow(Base):
    """A volunteer not checked in ``no_show_minutes`` after their shift started: told once, and
    counted against them unless they check in late (``cleared_at``)."""

    __tablename__ = "no_shows"
    __table_args__ = (UniqueConstraint("shift_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    noticed_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]  # checked in late


class FetchState(StrEnum):
    """Where a voicemail's audio is: still at Twilio (``pending``: to fetch, or retrying after a
    failure), stored here encrypted (``fetched``), or never to be had (``failed``: Twilio no
    longer has it)."""

    pending = "pending"
    fetched = "fetched"
    failed = "failed"


voicemail_reviewers = Table(
    "voicemail_reviewers",
    Base.metadata,
    Column(
        "contact_point_id", ForeignKey("contact_points.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
)


class Voicemail(Base):
    """A message a caller left: its time, its length and its audio (encrypted), nothing else
    about the caller (the call's ``caller_key`` stays on the call). The recording is fetched
    from Twilio once, then deleted there; every attempt's outcome is kept for the inbox."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("helpline_calls.id", ondelete="SET NULL"), index=True
    )
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)  # Twilio's RE…
    duration_seconds: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(index=True)
    audio: Mapped[bytes | None] = mapped_column(EncryptedBytes, deferred=True)
    audio_type: Mapped[str] = mapped_column(String(32), default="audio/wav")
    fetch_state: Mapped[FetchState] = mapped_column(
        string_enum(FetchState, 16), default=FetchState.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)  # fetch and delete attempts at Twilio
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    lease_until: Mapped[datetime | None]  # claimed by a fetch job until then
    last_error: Mapped[str | None] = mapped_column(String(200))  # codes and fixed words only
    deleted_at_twilio: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    passed_to_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL")
    )
    reminded_on: Mapped[date | None]  # the local day the reviewers were told of it
    deletes_at: Mapped[datetime] = mapped_column(index=True)


class CoverRequest(Base):
    """A seat to fill: given up (a NO, a withdrawal), a no-show's, or still open days before the
    shift. Offered to the contact point's volunteers who take cover requests; the first to
    accept takes the seat. ``open_slot`` ("shift:position") is set while nobody has taken it, so
    one seat has one open request however many jobs or replies ask at once."""

    __tablename__ = "cover_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    reason: Mapped[str] = mapped_column(String(16))  # declined, withdrawn, no_show, unfilled
    given_up_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    deadline: Mapped[datetime] = mapped_column(index=True)
    filled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    filled_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]  # the deadline passed and the coordinators were told
    open_slot: Mapped[str | None] = mapped_column(String(32), unique=True)

    shift: Mapped[Shift] = relationship()


class UnfilledAlert(Base):
    """A shift the coordinators were told still had open seats (once per shift)."""

    __tablename__ = "unfilled_alerts"

    shift_id: Mapped[int] = mapped_column(
        ForeignKey("shifts.id", ondelete="CASCADE"), primary_key=True
    )
    alerted_at: Mapped[datetime]


class SeatOffer(Base):
    """A volunteer offers their seat to one named volunteer of the contact point, or to all
    (``to_volunteer_id`` None); the seat changes hands when a taker confirms."""

    __tablename__ = "seat_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    from_volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    to_volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None]  # taken or cancelled

    shift: Mapped[Shift] = relationship()


class CoverOffer(Base):
    """Who was asked to cover a request, and when: a YES finds the request a volunteer was
    asked most recently, and once it is taken the others are told."""

    __tablename__ = "cover_offers"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("cover_requests.id", ondelete="CASCADE"), primary_key=True
    )
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    offered_at: Mapped[datetime]
