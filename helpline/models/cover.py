"""Seats given up and covered: cover requests and who was asked, the alerts for shifts still
short, and seats offered in a swap.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base
from helpline.models.shifts import Shift


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
