"""The rota as the API and the console show it: group names and seat counts, no contacts."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from helpline import rota, schedule, seats
from helpline.models import ContactPoint, Shift
from helpline.rota_schemas import RotaMonthRead, RotaShiftRead


def shift_read(row: rota.RotaShift) -> RotaShiftRead:
    shift, assignment, group = row.shift, row.assignment, row.group
    return RotaShiftRead(
        shift_id=shift.id,
        local_date=shift.local_date,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        serving_group_id=group.id if group else None,
        group_name=group.name if group else None,
        edited=assignment.edited if assignment else False,
        whole_group=assignment is not None and assignment.duty_phone_id is not None,
        seats=len(shift.seats),
        taken=len(seats.taken_seats(shift)),
    )


def month_read(session: Session, point: ContactPoint, month: date) -> RotaMonthRead:
    record = rota.get_month(session, point, month)
    return RotaMonthRead(
        month=schedule.month_key(month),
        generated_at=record.generated_at if record else None,
        next_position=record.next_position if record else None,
        shifts=[shift_read(row) for row in rota.month_shifts(session, point, month)],
    )


def rota_shift_read(session: Session, point: ContactPoint, shift: Shift) -> RotaShiftRead:
    month = shift.local_date.replace(day=1)
    row = next(r for r in rota.month_shifts(session, point, month) if r.shift.id == shift.id)
    return shift_read(row)
