from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from core.schemas import (
    WEEKDAYS,
    Alias,
    Changes,
    E164Phone,
    Email,
    Language,
    LocalTime,
    PlainText,
    RecordId,
    Schema,
    TimeZoneName,
    Weekday,
)
from groups.models import MeetingStatus, MembershipRole, MembershipStatus, ReferralStatus
from groups.schedule import Slot, format_minute, overlapping, parse_minute

Name = Annotated[str, StringConstraints(min_length=1, max_length=120), PlainText()]
Topic = Annotated[str, StringConstraints(min_length=1, max_length=200), PlainText()]


class SlotSchema(Schema):
    weekday: Weekday = Field(description="mon, tue, wed, thu, fri, sat or sun")
    start: LocalTime = Field(description="local start time, HH:MM (24-hour)")

    def to_slot(self) -> Slot:
        return Slot(WEEKDAYS.index(self.weekday), parse_minute(self.start))

    @classmethod
    def from_slot(cls, weekday: int, start_minute: int) -> SlotSchema:
        return cls(weekday=WEEKDAYS[weekday], start=format_minute(start_minute))


def _check_slots(slots: list[SlotSchema] | None, duration: int | None) -> None:
    if slots is None:
        return
    keys = [(slot.weekday, slot.start) for slot in slots]
    if len(set(keys)) != len(keys):
        raise ValueError("the same weekly slot is listed twice")
    if duration is not None and overlapping([slot.to_slot() for slot in slots], duration):
        raise ValueError(f"weekly slots overlap: each meeting lasts {duration} minutes")


class GroupCreate(Schema):
    name: Name
    topic: Topic
    language: Language
    time_zone: TimeZoneName
    slots: list[SlotSchema] = Field(min_length=1, max_length=7)
    duration_minutes: int = Field(default=60, ge=15, le=240)
    capacity: int = Field(default=12, ge=2, le=100)
    reminder_minutes_before: int = Field(default=180, ge=15, le=24 * 60)
    line_ids: list[RecordId] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _slots_do_not_overlap(self) -> GroupCreate:
        _check_slots(self.slots, self.duration_minutes)
        return self


class GroupUpdate(Changes):
    name: Name | None = None
    topic: Topic | None = None
    language: Language | None = None
    time_zone: TimeZoneName | None = None
    slots: list[SlotSchema] | None = Field(default=None, min_length=1, max_length=7)
    duration_minutes: int | None = Field(default=None, ge=15, le=240)
    capacity: int | None = Field(default=None, ge=2, le=100)
    reminder_minutes_before: int | None = Field(default=None, ge=15, le=24 * 60)
    line_ids: list[RecordId] | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _slots_not_repeated(self) -> GroupUpdate:
        _check_slots(self.slots, None)  # overlap needs the stored duration: checked by the service
        return self


class LineRef(Schema):
    id: int
    number: str
    language: str


class ModeratorRef(Schema):
    membership_id: int
    staff_id: int | None
    username: str | None


class GroupRead(Schema):
    id: int
    name: str
    topic: str
    language: str
    time_zone: str
    slots: list[SlotSchema]
    duration_minutes: int
    capacity: int
    reminder_minutes_before: int
    lines: list[LineRef]
    moderators: list[ModeratorRef]
    member_count: int
    pending_referrals: int
    next_meeting_at: datetime | None


class GroupBrief(Schema):
    """What a helper needs to pick a group for a referral."""

    id: int
    name: str
    topic: str
    language: str


class LineCreate(Schema):
    number: E164Phone
    language: Language
    label: Annotated[str, StringConstraints(max_length=80), PlainText()] = ""


class LineRead(Schema):
    id: int
    number: str
    language: str
    label: str


class ModeratorAssign(Schema):
    staff_id: RecordId


class CredentialsRead(Schema):
    """Shown once: the only time anyone sees the PIN in clear."""

    membership_id: int
    participant_number: str
    pin: str
    pin_is_temporary: bool
    dial_in_numbers: list[str]


class MeetingRead(Schema):
    id: int
    group_id: int
    local_date: date
    starts_at: datetime
    ends_at: datetime
    local_start: str
    original_starts_at: datetime | None
    status: MeetingStatus
    topic: str | None
    extended_minutes: int


class MeetingMove(Schema):
    starts_at: datetime = Field(description="new start, ISO 8601 with a UTC offset")

    @field_validator("starts_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError(
                "give the time with its UTC offset, for example 2026-03-05T20:00:00+01:00"
            )
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("this time is out of range") from None


class MeetingTopic(Schema):
    topic: Topic | None


class ReferralCreate(Schema):
    group_id: RecordId
    alias: Alias
    phone: E164Phone
    email: Email
    language: Language
    consent: bool = Field(description="the caller agreed to be contacted and to the group's rules")
    note: Annotated[str, StringConstraints(max_length=1000), PlainText(multiline=True)] | None = (
        None
    )

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if not value:
            raise ValueError("the caller's consent is required before a referral can be filed")
        return value


class ReferralRead(Schema):
    """A referral. Its two flags tell whoever decides on it what the group already knows of the
    phone number; they are null for anyone else (a helper, a moderator of another group), whose
    answer only says that the referral was filed — no staff login can ask who is in a group."""

    id: int
    group_id: int
    alias: str | None
    language: str
    status: ReferralStatus
    flag_already_member: bool | None = Field(
        description="the phone number belongs to a member of the group; "
        "null unless the caller moderates the group or is an admin"
    )
    flag_previously_ejected: bool | None = Field(
        description="the phone number was ejected from the group before; "
        "null unless the caller moderates the group or is an admin"
    )
    note: str | None
    created_at: datetime
    decided_at: datetime | None


class ReferralReject(Schema):
    reason: Annotated[str, StringConstraints(max_length=500), PlainText()] | None = None


class ApprovalRead(Schema):
    referral: ReferralRead
    credentials: CredentialsRead


class MembershipRead(Schema):
    id: int
    group_id: int
    role: MembershipRole
    status: MembershipStatus
    alias: str | None
    language: str
    pin_is_temporary: bool
    locked_until: datetime | None
    created_at: datetime


class ContactRead(Schema):
    membership_id: int
    alias: str | None
    phone: str | None
    email: str | None


# --- a member's own copy (groups/export.py) -------------------------------------------------


class CopyMembership(Schema):
    membership_id: int
    group_id: int
    group_name: str
    group_language: str
    role: MembershipRole
    status: MembershipStatus
    created_at: datetime
    status_changed_at: datetime | None


class CopyReferral(Schema):
    """The referral that led to the membership: when, and the consent; not the free texts."""

    created_at: datetime
    consent_at: datetime
    status: ReferralStatus
    decided_at: datetime | None


class CopyEvent(Schema):
    at: datetime
    action: str


class CopyAttendance(Schema):
    meeting_starts_at: datetime | None
    joined_at: datetime | None
    left_at: datetime | None


class CopyMessage(Schema):
    """A message sent to the member: what kind, how, when and with what outcome; no text."""

    kind: str
    channel: str
    status: str
    created_at: datetime
    sent_at: datetime | None


class MemberCopyRead(Schema):
    produced_at: datetime
    alias: str | None
    phone: str | None
    email: str | None
    language: str
    membership: CopyMembership
    other_memberships: list[CopyMembership]
    sms_reminders_stopped: bool
    referral: CopyReferral | None
    history: list[CopyEvent]
    attendance: list[CopyAttendance]
    messages: list[CopyMessage]
