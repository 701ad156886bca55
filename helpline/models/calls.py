"""The calls: each call with the phones it rang and what came of it, the callers blocked, and
the voicemails left. A caller's number is never stored: only its keyed HMAC (``caller_key``),
for a repeat-caller count and the block list; a voicemail's audio is encrypted.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedBytes


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
