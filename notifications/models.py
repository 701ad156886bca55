"""The outbox (every message is a row before it is sent) and the SMS opt-out list."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedText


class Channel(StrEnum):
    sms = "sms"
    email = "email"


class Kind(StrEnum):
    invitation = "invitation"  # e-mail with the .ics, on approval and on request
    invitation_update = "invitation_update"  # e-mail after a schedule change (SEQUENCE up)
    pin = "pin"  # the temporary PIN, by SMS alone
    reminder = "reminder"  # SMS on the meeting day
    meeting_cancelled = "meeting_cancelled"  # SMS notice
    meeting_moved = "meeting_moved"  # SMS notice
    moderator_notice = "moderator_notice"  # e-mail (or SMS) to a moderator
    duty_notice = "duty_notice"  # e-mail (or SMS) to a helpline volunteer or coordinator
    # A helpline notice that is about no one shift: a serving group's dates (to its
    # representative), a candidacy or a coordinator's term ending.
    helpline_notice = "helpline_notice"


class Status(StrEnum):
    pending = "pending"  # waiting for next_attempt_at
    claimed = "claimed"  # taken by a dispatcher, provider not called yet
    sending = "sending"  # provider being called: the outcome may be unknown after a crash
    sent = "sent"  # the provider accepted it
    delivered = "delivered"  # Twilio's status callback said so
    failed = "failed"  # permanent failure or attempts exhausted; shown to moderators
    no_provider = "no_provider"  # no Twilio/SMTP configured: kept, sent once one is
    skipped = "skipped"  # recipient opted out, left the group or has no contact
    expired = "expired"  # the meeting started before it could go out
    cancelled = "cancelled"  # superseded (meeting cancelled, newer PIN)


LAST_ERROR_LENGTH = 200  # why the last attempt failed: codes and fixed words only


class OutboxMessage(Base):
    """One message to send. Recipients are resolved when sending: no contact data is copied here.

    The only secret ever stored is a temporary PIN (``secret``, encrypted), and only until the
    message is sent or given up.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # kind:membership:meeting:version — unique, so an event can never enqueue a message twice.
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[Kind] = mapped_column(string_enum(Kind))
    channel: Mapped[Channel] = mapped_column(string_enum(Channel))
    status: Mapped[Status] = mapped_column(string_enum(Status), default=Status.pending)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    # A message to a staff account itself (helpline duty), not to a membership. No reference:
    # accounts are deactivated, never deleted, and SQLite could not add one in place.
    staff_id: Mapped[int | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=0)
    # Non-personal parameters of the text (event name, previous start time...).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret: Mapped[str | None] = mapped_column(EncryptedText)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(LAST_ERROR_LENGTH))
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    @validates("last_error")
    def _cut(self, _: str, reason: str | None) -> str | None:
        """A provider's reason longer than the column is cut, not a failed write (PostgreSQL)."""
        return reason[:LAST_ERROR_LENGTH] if reason is not None else None


class SmsOptOut(Base):
    """A number that replied STOP, kept only as the blind index members' phones are indexed by."""

    __tablename__ = "sms_opt_outs"

    phone_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out_at: Mapped[datetime]
