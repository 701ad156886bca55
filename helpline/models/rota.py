"""Groups taking turns at a contact point's shifts (serving groups, a month's rota, who covers
each shift) and candidate volunteers with their mentors.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedText


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
