"""State of dial-in calls between webhooks, the live room of each meeting, and access events.

Several web processes answer one call's webhooks, so nothing lives in process memory: a call is a
row keyed by Twilio's CallSid. The caller's number is kept only as a keyed HMAC (blind index).
A call row that reached the conference is also the attendance record of its membership.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, string_enum, utcnow


class CallStage(StrEnum):
    number = "number"  # waiting for the participant number
    pin = "pin"  # waiting for the PIN
    new_pin = "new_pin"  # first call: choosing a PIN
    confirm_pin = "confirm_pin"  # first call: the chosen PIN once more
    admitted = "admitted"  # <Dial><Conference> returned, not yet in the room
    in_conference = "in_conference"
    ended = "ended"


class AccessEventKind(StrEnum):
    locked_out = "locked_out"  # too many wrong PINs: the participant number is locked
    duplicate = "duplicate"  # the same credentials tried to join while already in the call


class Call(Base):
    """One inbound call, from the first webhook to its end."""

    __tablename__ = "conference_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Twilio's id of the call (Twilio's own logs hold the caller's number under it) and the
    # HMAC of the caller's number: both dropped by retention, the attendance stays.
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    caller_index: Mapped[str | None] = mapped_column(String(64), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(2))
    stage: Mapped[CallStage] = mapped_column(string_enum(CallStage), default=CallStage.number)
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL"), index=True
    )
    pin_tries: Mapped[int] = mapped_column(default=0)
    pending_pin_hash: Mapped[str | None] = mapped_column(String(255))
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    is_moderator: Mapped[bool] = mapped_column(default=False)
    admitted_at: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    muted: Mapped[bool] = mapped_column(default=False)
    on_hold: Mapped[bool] = mapped_column(default=False)
    speaking: Mapped[bool] = mapped_column(default=False)
    # The last status callback applied to this call: its conference and SequenceNumber. Twilio's
    # callbacks may arrive out of order or twice; an older or repeated one changes nothing.
    event_conference_sid: Mapped[str | None] = mapped_column(String(64))
    event_sequence: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def live_sid(self) -> str:
        """Twilio's id of a call that is going on; retention clears it only weeks after."""
        if self.call_sid is None:
            raise ValueError("this call's Twilio id was removed by retention")
        return self.call_sid


class PinFailure(Base):
    """A failed login: counted per participant number (lockout) and per caller (throttle)."""

    __tablename__ = "conference_pin_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    caller_index: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class Room(Base):
    """The live conference of one meeting: its Twilio SID and the progress of its lifecycle."""

    __tablename__ = "conference_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    conference_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # When Twilio fired the start or join that made ``conference_sid`` the room's conference
    # (its ``Timestamp``): an event of another conference fired earlier is of an older one.
    conference_fired_at: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    moderator_absent_since: Mapped[datetime | None]
    reconnect_announced_at: Mapped[datetime | None]
    warned_five_at: Mapped[datetime | None]
    warned_one_at: Mapped[datetime | None]
    # The last provider failure of a lifecycle step (retried on the next run); no personal data.
    last_error: Mapped[str | None] = mapped_column(String(200))


class AccessEvent(Base):
    """Something the group's moderators must see: a lockout, a duplicate login attempt.

    The notifications work delivers a message for each undelivered row (``notified_at``).
    """

    __tablename__ = "conference_access_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    kind: Mapped[AccessEventKind] = mapped_column(string_enum(AccessEventKind))
    at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
