"""The voicemail inbox's API bodies: nothing about a caller but the time and the length."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from core.schemas import LocalTime, RecordId, Schema
from helpline.models import FetchState


class VoicemailSettings(Schema):
    out_of_hours: bool = Field(description="offer voicemail outside duty hours")
    no_answer: bool = Field(description="offer voicemail when nobody takes a call on duty")
    max_seconds: int = Field(ge=10, le=600, description="the longest message, in seconds")
    review_at: LocalTime = Field(description="the daily reminder to the reviewers, local HH:MM")
    retention_days: int = Field(ge=1, le=365, description="days until a voicemail is destroyed")


class ReviewerRead(Schema):
    volunteer_id: int
    username: str


class GroupChoice(Schema):
    id: int
    name: str


class PassedTo(Schema):
    group_id: RecordId


class VoicemailRead(Schema):
    id: int
    received_at: datetime
    received_local: str = Field(description="when, in the contact point's time")
    duration_seconds: int
    state: FetchState = Field(description="pending: still at Twilio; fetched; failed: lost")
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    deleted_at_twilio: datetime | None
    handled_at: datetime | None
    handled_by: str | None
    passed_to_group_id: int | None
    passed_to_group: str | None
    deletes_at: datetime
    deletes_on: date = Field(description="the local day it is destroyed")
