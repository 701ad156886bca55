"""Duty: the weekly shift templates, the shifts planned from them with their seats, how each
seat was checked in, and the no-shows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Base, string_enum
from helpline.models.points import RingsAt


class CheckInBy(StrEnum):
    """How a volunteer checked in for a seat."""

    sms = "sms"  # replied to the shift-start SMS
    console = "console"
    api = "api"
    call = "call"  # took the first call of the shift


class ShiftStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


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
