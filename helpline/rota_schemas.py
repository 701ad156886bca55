"""Bodies of the rota, mentoring and term endpoints. A representative's contact (name, phone) is
written by coordinators and read back only by them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from core.schemas import Changes, E164Phone, PlainText, RecordId, Schema
from helpline.models import CandidacyStatus

Name = Annotated[str, StringConstraints(min_length=1, max_length=120), PlainText()]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class RotaSettings(Changes):
    rota_groups_per_month: int | None = Field(
        default=None, ge=1, le=100, description="how many serving groups share a month's shifts"
    )
    any_experienced_mentor: bool | None = Field(
        default=None,
        description="a candidate may sign up beside any experienced volunteer, not only their "
        "mentor",
    )
    coordinator_term_start: date | None = Field(
        default=None, description="local date; the term ends two years later unless given"
    )
    coordinator_term_end: date | None = None

    @model_validator(mode="after")
    def _term_order(self) -> RotaSettings:
        start, end = self.coordinator_term_start, self.coordinator_term_end
        if start is not None and end is not None and end <= start:
            raise ValueError("the term must end after it starts")
        return self


class RotaSettingsRead(Schema):
    rota_groups_per_month: int
    any_experienced_mentor: bool
    coordinator_term_start: date | None
    coordinator_term_end: date | None


class ServingGroupCreate(Schema):
    name: Name | None = Field(default=None, description="required unless group_id is given")
    group_id: RecordId | None = Field(default=None, description="a group of this organisation")
    position: int | None = Field(default=None, ge=0, description="default: after the last one")
    representative_id: RecordId | None = Field(default=None, description="a staff account")
    contact_name: Name | None = None
    contact_phone: E164Phone | None = None

    @model_validator(mode="after")
    def _complete(self) -> ServingGroupCreate:
        if self.name is None and self.group_id is None:
            raise ValueError("give the group's name, or choose one of the organisation's groups")
        if self.representative_id is None and (self.contact_name is None or not self.contact_phone):
            raise ValueError(
                "a serving group needs a representative: a staff account, or a contact name "
                "and phone"
            )
        return self


class ServingGroupUpdate(Changes):
    name: Name | None = None
    position: int | None = Field(default=None, ge=0)
    paused: bool | None = None
    representative_id: RecordId | None = None
    contact_name: Name | None = None
    contact_phone: E164Phone | None = None


class ServingGroupRead(Schema):
    id: int
    name: str
    group_id: int | None
    position: int
    paused: bool
    representative_id: int | None
    contact_name: str | None
    contact_phone: str | None


class RotaShiftRead(Schema):
    shift_id: int
    local_date: date
    starts_at: datetime
    ends_at: datetime
    serving_group_id: int | None
    group_name: str | None
    edited: bool = Field(description="changed by hand: generating again leaves it alone")
    whole_group: bool = Field(description="the group serves as a whole, on a duty mobile")
    seats: int
    taken: int


class RotaMonthRead(Schema):
    month: str
    generated_at: datetime | None
    next_position: int | None = Field(description="where the next month's turn goes on")
    shifts: list[RotaShiftRead]


class RotaEdit(Schema):
    serving_group_id: RecordId | None = Field(description="null: no group covers this shift")


class RotaSeat(Schema):
    volunteer_id: RecordId


class WholeGroup(Schema):
    duty_phone_id: RecordId = Field(description="the duty mobile the group carries")


class CandidacyCreate(Schema):
    volunteer_id: RecordId
    mentor_id: RecordId
    starts_on: date | None = Field(default=None, description="local date; default today")
    months: int = Field(default=12, ge=1, le=36)


class CandidacyExtend(Schema):
    months: int = Field(ge=1, le=24)


class CandidacyRead(Schema):
    id: int
    volunteer_id: int
    mentor_id: int | None
    starts_on: date
    ends_on: date
    status: CandidacyStatus
