"""The helpline's API bodies. Volunteers' phone numbers are written, never read back except by
the volunteer themself and the contact point's coordinators."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from core.schemas import (
    WEEKDAYS,
    Changes,
    E164Phone,
    Language,
    LocalTime,
    PlainText,
    RecordId,
    Schema,
    TimeZoneName,
    Weekday,
)
from groups.schedule import format_minute, parse_minute
from helpline.models import (
    CallOutcome,
    CheckInBy,
    DutyPhoneKind,
    LegOutcome,
    NotifyBy,
    RingsAt,
    RingStrategy,
    ShiftStatus,
)
from helpline.schedule import Weekly

Name = Annotated[str, StringConstraints(min_length=1, max_length=120), PlainText()]
Label = Annotated[str, StringConstraints(min_length=1, max_length=80), PlainText()]


class ContactPointCreate(Schema):
    name: Name
    language: Language
    time_zone: TimeZoneName
    ring_strategy: RingStrategy = RingStrategy.ring_all
    ring_seconds: int = Field(
        default=35, ge=10, le=120, description="how long one phone rings (seven rings ≈ 35 s)"
    )
    national_order: int | None = Field(
        default=None, ge=1, le=100, description="its place on the national line; null: none"
    )
    announce_national: bool = Field(
        default=False, description="out of hours, read out the national line's number"
    )
    number_on_national: bool = Field(
        default=False,
        description="when the national line is not staffed, it reads out this one's number",
    )
    signup_cutoff_hours: int = Field(default=24, ge=0, le=24 * 14)


class ContactPointUpdate(Changes):
    name: Name | None = None
    language: Language | None = None
    time_zone: TimeZoneName | None = None
    ring_strategy: RingStrategy | None = None
    ring_seconds: int | None = Field(default=None, ge=10, le=120)
    national_order: int | None = Field(
        default=None, ge=0, le=100, description="its place on the national line; 0: none"
    )
    announce_national: bool | None = None
    number_on_national: bool | None = None
    signup_cutoff_hours: int | None = Field(default=None, ge=0, le=24 * 14)
    no_show_minutes: int | None = Field(default=None, ge=1, le=120)
    no_show_limit: int | None = Field(default=None, ge=1, le=100)
    no_show_days: int | None = Field(default=None, ge=1, le=3660)
    ring_checked_in_only: bool | None = None


class ContactPointRead(Schema):
    id: int
    name: str
    language: str
    time_zone: str
    ring_strategy: RingStrategy
    ring_seconds: int
    national_order: int | None
    announce_national: bool
    number_on_national: bool
    signup_cutoff_hours: int
    lines: list[str] = Field(description="its own numbers (E.164)")
    no_show_minutes: int = Field(description="a seat not checked in this long after the start")
    no_show_limit: int = Field(description="no-shows after which sign-ups need approval")
    no_show_days: int = Field(description="the period no-shows are counted over")
    ring_checked_in_only: bool = Field(description="ring only seats checked in")


class HelplineLineAttach(Schema):
    line_id: RecordId


class DutyPhoneCreate(Schema):
    kind: DutyPhoneKind
    label: Label
    number: E164Phone


class DutyPhoneRead(Schema):
    id: int
    kind: DutyPhoneKind
    label: str
    number: str


class VolunteerCreate(Schema):
    staff_id: RecordId
    phone: E164Phone = Field(description="the number its seats ring; never shown to others")


class VolunteerRead(Schema):
    id: int
    staff_id: int
    username: str
    phone: str | None = Field(description="only for the volunteer themself and coordinators")
    no_shows: int | None = Field(default=None, description="in the period; coordinators only")


class CoordinatorAssign(Schema):
    staff_id: RecordId


class TemplateCreate(Schema):
    weekday: Weekday
    start: LocalTime = Field(description="local start, HH:MM")
    end: LocalTime = Field(description="local end, HH:MM; at or before the start: overnight")
    seats: int = Field(default=1, ge=1, le=10)
    rings_at: RingsAt = RingsAt.own_phone

    @model_validator(mode="after")
    def _not_empty(self) -> TemplateCreate:
        if self.start == self.end:
            raise ValueError("a shift cannot end when it starts")
        return self

    def weekly(self) -> Weekly:
        return Weekly(
            WEEKDAYS.index(self.weekday), parse_minute(self.start), parse_minute(self.end)
        )


class TemplateUpdate(Schema):
    seats: int | None = Field(default=None, ge=1, le=10)
    rings_at: RingsAt | None = None


class TemplateRead(Schema):
    id: int
    weekday: str
    start: str
    end: str
    overnight: bool
    seats: int
    rings_at: RingsAt

    @classmethod
    def of(cls, template_id: int, weekly: Weekly, seats: int, rings_at: RingsAt) -> TemplateRead:
        return cls(
            id=template_id,
            weekday=WEEKDAYS[weekly.weekday],
            start=format_minute(weekly.start_minute),
            end=format_minute(weekly.end_minute),
            overnight=weekly.overnight,
            seats=seats,
            rings_at=rings_at,
        )


class SeatRead(Schema):
    position: int
    volunteer_id: int | None
    username: str | None
    mine: bool
    duty_phone: str | None = Field(description="the label of the duty mobile it rings")
    checked_in_at: datetime | None = None
    checked_in_by: CheckInBy | None = None
    pending_approval: bool = Field(default=False, description="a sign-up not yet approved")


class ShiftRead(Schema):
    id: int
    local_date: date
    local_start: str
    local_end: str
    starts_at: datetime
    ends_at: datetime
    rings_at: RingsAt
    status: ShiftStatus
    open_seats: int
    seats: list[SeatRead]


class ShiftChange(Schema):
    seats: int = Field(ge=1, le=10)


class SeatAssign(Schema):
    volunteer_id: RecordId
    duty_phone_id: RecordId | None = None


class LegRead(Schema):
    username: str | None
    duty_phone: str | None
    outcome: LegOutcome


class CallRead(Schema):
    id: int
    contact_point_id: int | None
    national: bool
    started_at: datetime
    wait_seconds: int | None = Field(description="until a volunteer took it")
    talk_seconds: int | None
    outcome: CallOutcome
    taken_by: str | None = Field(description="the volunteer who took it")
    rung: list[LegRead]
    earlier_calls: int = Field(description="calls from the same number in the last 90 days")


class BlockCreate(Schema):
    days: int = Field(default=30, ge=1, le=365)


class BlockRead(Schema):
    id: int
    until: datetime


class OnDutyRead(Schema):
    on_duty: list[str] = Field(description="usernames of the volunteers on duty now")
    calls_in_progress: int
    missed_today: int = Field(description="missed or busy since local midnight")


class ShareRead(Schema):
    """Calls on some days of the month, and how many of them a volunteer took."""

    calls: int
    answered: int
    answered_share: float | None = Field(description="answered / calls; null without calls")


class ShiftFiguresRead(Schema):
    planned: int = Field(description="shifts of the month, by local start date, not cancelled")
    filled: int = Field(description="planned shifts with every seat taken")
    cancelled: int
    no_shows: int | None = Field(default=None, description="null: not counted here yet")
    covered: int | None = Field(default=None, description="null: not counted here yet")


class FiguresRead(Schema):
    """A contact point's month in counts, in its local time; nothing about any caller."""

    contact_point_id: int
    month: str = Field(description="YYYY-MM, the contact point's local month")
    time_zone: str
    complete: bool = Field(description="false: the month is not over, these are the figures so far")
    calls: int
    outcomes: dict[CallOutcome, int] = Field(description="calls by outcome; ringing: in progress")
    rings: dict[LegOutcome, int] = Field(description="the phones rung for these calls, by outcome")
    voicemails: int | None = Field(default=None, description="null: not counted here yet")
    median_wait_seconds: float | None = Field(
        description="answered calls, from the start of the call until a volunteer took it"
    )
    by_weekday_hour: list[list[int]] = Field(
        description="calls by local weekday (Monday first) and local hour of their start: 7 × 24"
    )
    by_weekday: list[int] = Field(description="calls by local weekday, Monday first")
    by_hour: list[int] = Field(description="calls by local hour of their start, 0 to 23")
    weekdays: ShareRead = Field(description="Monday to Friday, local days")
    weekends: ShareRead = Field(description="Saturday and Sunday, local days")
    shifts: ShiftFiguresRead


class CheckInRequest(Schema):
    volunteer_id: RecordId | None = Field(
        default=None, description="whose seat (coordinators); left out: one's own"
    )


class CheckInRead(Schema):
    shift_id: int
    volunteer_id: int
    checked_in_at: datetime
    checked_in_by: CheckInBy


class PendingSignUpRead(Schema):
    seat_id: int
    shift_id: int
    local_date: date
    local_start: str
    volunteer_id: int
    username: str
    no_shows: int


# --- cover, swaps and a volunteer's preferences ---


class CoverRequestRead(Schema):
    """A seat to fill: when, why, until when an answer is hoped for; never who gave it up."""

    id: int
    shift: ShiftRead
    position: int
    reason: str = Field(description="declined, withdrawn, no_show or unfilled")
    deadline: datetime
    filled: bool
    coordinators_told: bool = Field(description="the deadline passed with nobody taking it")


class SeatOfferCreate(Schema):
    shift_id: RecordId
    to_volunteer_id: RecordId | None = Field(
        default=None, description="a volunteer of this contact point; none: to all"
    )


class SeatOfferRead(Schema):
    id: int
    shift: ShiftRead
    to_volunteer_id: int | None
    mine: bool = Field(description="offered by the caller")


class PreferencesRead(Schema):
    notify_by: NotifyBy
    cover_requests: bool


class PreferencesUpdate(Changes):
    notify_by: NotifyBy | None = Field(
        default=None, description="reminders and cover requests by SMS or e-mail"
    )
    cover_requests: bool | None = Field(default=None, description="asked to cover seats")


class CoverSettings(Changes):
    cover_deadline_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    unfilled_alert_days: int | None = Field(
        default=None, ge=0, le=30, description="days before a shift short of volunteers; 0: off"
    )


class CoverSettingsRead(Schema):
    cover_deadline_minutes: int
    unfilled_alert_days: int
