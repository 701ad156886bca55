"""Groups taking turns at a contact point's shifts (Bielsko-Biała's rota).

Groups that agreed to serve are kept in an order (``position``). The coordinator generates a
month: its shifts (local dates) go to the next ``rota_groups_per_month`` groups in turn that are
not paused, one shift each in turn, going on from where the month before stopped
(``RotaMonth.next_position``). Generating a month again starts from the same place and replaces
only the assignments nobody changed by hand (``RotaAssignment.edited``), on shifts not yet over:
a coordinator's edit is never undone by a second click. (A later month already generated keeps
its own start: generating an earlier one again does not move it.) Each group's representative is
told the group's dates once per month (the outbox's key: group and month); they fill the seats
with volunteers of the contact point, or mark the group as serving as a whole on a duty mobile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import pii
from groups.models import Group
from helpline import schedule, seats, service, shifts
from helpline.exceptions import (
    GroupNotFound,
    MonthHasNoShifts,
    MonthOver,
    NoServingGroups,
    NotAMobile,
    PositionTaken,
    RepresentativeIncomplete,
    RepresentativesOnly,
    ServingGroupNotFound,
    StaffNotFound,
)
from helpline.models import (
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    RotaAssignment,
    RotaMonth,
    ServingGroup,
    Shift,
    ShiftStatus,
    Volunteer,
)
from helpline.rota_schemas import ServingGroupCreate, ServingGroupUpdate
from helpline.seats import audited
from notifications import notices

# --- serving groups --------------------------------------------------------------------------


def list_groups(session: Session, point: ContactPoint) -> list[ServingGroup]:
    query = select(ServingGroup).where(ServingGroup.contact_point_id == point.id)
    return list(session.scalars(query.order_by(ServingGroup.position)))


def get_group(session: Session, point: ContactPoint, group_id: int) -> ServingGroup:
    group = session.get(ServingGroup, group_id)
    if group is None or group.contact_point_id != point.id:
        raise ServingGroupNotFound()
    return group


def add_group(
    session: Session, point: ContactPoint, *, actor: Staff, data: ServingGroupCreate
) -> ServingGroup:
    """A group joins the rota, last in the order unless a free place is given."""
    name = data.name
    if data.group_id is not None:
        known = session.get(Group, data.group_id)
        if known is None:
            raise GroupNotFound()
        name = name or known.name
    if data.position is not None:
        position = data.position
        _free(session, point, position, but=None)
    else:
        last = session.scalar(
            select(func.max(ServingGroup.position)).where(ServingGroup.contact_point_id == point.id)
        )
        position = 0 if last is None else last + 1
    group = ServingGroup(contact_point_id=point.id, name=name, group_id=data.group_id)
    group.position = position
    _represent(session, group, data.representative_id, data.contact_name, data.contact_phone)
    session.add(group)
    session.flush()
    audited(session, actor, "serving_group.create", "serving_group", group.id)
    return group


def update_group(
    session: Session,
    point: ContactPoint,
    group: ServingGroup,
    *,
    actor: Staff,
    data: ServingGroupUpdate,
) -> ServingGroup:
    """Rename, move in the order, pause or resume, or change the representative."""
    if data.position is not None and data.position != group.position:
        _free(session, point, data.position, but=group.id)
        group.position = data.position
    if data.name is not None:
        group.name = data.name
    if data.paused is not None:
        group.paused = data.paused
    if data.representative_id is not None:
        _represent(session, group, data.representative_id, None, None)
    elif data.contact_phone is not None or data.contact_name is not None:
        name = data.contact_name or group.contact_name
        phone = data.contact_phone or group.contact_phone
        if name is None or phone is None:
            raise RepresentativeIncomplete()
        _represent(session, group, None, name, phone)
    session.flush()
    audited(session, actor, "serving_group.update", "serving_group", group.id)
    return group


def _free(session: Session, point: ContactPoint, position: int, *, but: int | None) -> None:
    taken = session.scalar(
        select(ServingGroup.id).where(
            ServingGroup.contact_point_id == point.id, ServingGroup.position == position
        )
    )
    if taken is not None and taken != but:
        raise PositionTaken()


def _represent(
    session: Session,
    group: ServingGroup,
    staff_id: int | None,
    name: str | None,
    phone: str | None,
) -> None:
    """A staff account represents the group, or a contact name and phone do (encrypted, with
    its blind index so a STOP from that number is honoured)."""
    if staff_id is not None:
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.is_active:
            raise StaffNotFound()
        group.representative_id = staff_id
        group.contact_name = group.contact_phone = group.contact_phone_index = None
        return
    group.representative_id = None
    group.contact_name, group.contact_phone = name, phone
    group.contact_phone_index = pii.phone_index(phone) if phone else None


# --- months ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotaShift:
    shift: Shift
    assignment: RotaAssignment | None
    group: ServingGroup | None


def month_shifts(session: Session, point: ContactPoint, month: date) -> list[RotaShift]:
    """The month's scheduled shifts (local dates) with the group covering each, if any."""
    found = [
        shift
        for shift in shifts.shifts_between(session, point, month, schedule.last_day(month))
        if shift.status is ShiftStatus.scheduled
    ]
    assigned = {
        row.shift_id: row
        for row in session.scalars(
            select(RotaAssignment).where(RotaAssignment.shift_id.in_([s.id for s in found]))
        )
    }
    groups = {group.id: group for group in list_groups(session, point)}
    rows = []
    for shift in found:
        assignment = assigned.get(shift.id)
        group_id = assignment.serving_group_id if assignment else None
        rows.append(RotaShift(shift, assignment, groups.get(group_id) if group_id else None))
    return rows


def get_month(session: Session, point: ContactPoint, month: date) -> RotaMonth | None:
    return session.scalar(
        select(RotaMonth).where(RotaMonth.contact_point_id == point.id, RotaMonth.month == month)
    )


def _start(session: Session, point: ContactPoint, month: date) -> int:
    """Where the month's turn starts: where it started when first generated, else where the
    latest month before it stopped, else at the first group."""
    existing = get_month(session, point, month)
    if existing is not None:
        return existing.start_position
    before = session.scalar(
        select(RotaMonth.next_position)
        .where(RotaMonth.contact_point_id == point.id, RotaMonth.month < month)
        .order_by(RotaMonth.month.desc())
        .limit(1)
    )
    return before or 0


def in_turn(groups: Sequence[ServingGroup], start: int, count: int) -> list[ServingGroup]:
    """The next ``count`` groups not paused, in order from ``start``, round the end to the
    beginning; each at most once."""
    active = [group for group in groups if not group.paused]
    if not active:
        raise NoServingGroups()
    first = next((n for n, group in enumerate(active) if group.position >= start), 0)
    return [active[(first + n) % len(active)] for n in range(min(count, len(active)))]


def generate(
    session: Session, point: ContactPoint, *, month: date, actor: Staff, now: datetime
) -> RotaMonth:
    """The month's rota: its coming shifts to the groups whose turn it is; see the module."""
    today = now.astimezone(ZoneInfo(point.time_zone)).date()
    if schedule.last_day(month) < today:
        raise MonthOver()
    # Shifts are planned some weeks ahead; the whole month must be there to be shared out.
    shifts.plan(session, point, now=now, weeks=(schedule.last_day(month) - today).days // 7 + 1)
    coming = [row for row in month_shifts(session, point, month) if row.shift.ends_at > now]
    if not coming:
        raise MonthHasNoShifts(schedule.month_key(month))
    start = _start(session, point, month)
    turn = in_turn(list_groups(session, point), start, point.rota_groups_per_month)
    for n, row in enumerate(coming):
        if row.assignment is None:
            session.add(
                RotaAssignment(
                    shift_id=row.shift.id,
                    contact_point_id=point.id,
                    month=month,
                    serving_group_id=turn[n % len(turn)].id,
                    edited=False,
                )
            )
        elif not row.assignment.edited:
            row.assignment.serving_group_id = turn[n % len(turn)].id
    record = get_month(session, point, month)
    if record is None:
        record = RotaMonth(contact_point_id=point.id, month=month, start_position=start)
        session.add(record)
    record.next_position, record.generated_at = turn[-1].position + 1, now
    session.flush()
    for group in turn:
        tell_representative(session, point, group, month, now)
    audited(session, actor, "rota.generate", "contact_point", point.id)
    return record


def tell_representative(
    session: Session, point: ContactPoint, group: ServingGroup, month: date, now: datetime
) -> int:
    """The group's dates in the month, in one message to its representative (once per month);
    nothing when it has no shift then. The text is built when it is sent, from the rota as it is
    then."""
    has_shift = session.scalar(
        select(RotaAssignment.shift_id)
        .where(RotaAssignment.serving_group_id == group.id, RotaAssignment.month == month)
        .limit(1)
    )
    if has_shift is None:
        return 0
    return notices.notify_helpline(
        session,
        event="rota_dates",
        contact_point_id=point.id,
        subject_id=group.id,
        about=schedule.month_key(month),
        staff_ids=[group.representative_id] if group.representative_id else [],
        serving_group_id=group.id,
        now=now,
    )


# --- editing and filling ---------------------------------------------------------------------


def assignment_of(session: Session, point: ContactPoint, shift: Shift) -> RotaAssignment:
    found = session.get(RotaAssignment, shift.id)
    if found is None:
        found = RotaAssignment(
            shift_id=shift.id,
            contact_point_id=point.id,
            month=shift.local_date.replace(day=1),
            edited=False,
        )
        session.add(found)
    return found


def set_group(
    session: Session,
    point: ContactPoint,
    shift: Shift,
    group: ServingGroup | None,
    *,
    actor: Staff,
    now: datetime,
) -> RotaAssignment:
    """By hand: another group (or none) covers this shift; generating again keeps it."""
    seats.check_open(shift, now)
    assignment = assignment_of(session, point, shift)
    assignment.serving_group_id = group.id if group else None
    assignment.edited = True
    if group is None:
        assignment.duty_phone_id = None
    session.flush()
    if group is not None:
        tell_representative(session, point, group, assignment.month, now)
    audited(session, actor, "rota.edit", "shift", shift.id)
    return assignment


def may_fill(session: Session, staff: Staff, point: ContactPoint, shift: Shift) -> None:
    """The coordinators fill any shift's seats; a representative those of their group's shifts."""
    if service.is_coordinator(session, staff, point.id):
        return
    found = session.get(RotaAssignment, shift.id)
    group = session.get(ServingGroup, found.serving_group_id) if found else None
    if group is None or group.representative_id != staff.id:
        raise RepresentativesOnly()


def represented(session: Session, staff: Staff) -> list[ContactPoint]:
    """The contact points where ``staff`` represents a serving group."""
    return list(
        session.scalars(
            select(ContactPoint)
            .join(ServingGroup, ServingGroup.contact_point_id == ContactPoint.id)
            .where(ServingGroup.representative_id == staff.id)
            .distinct()
            .order_by(ContactPoint.name)
        )
    )


def represents(session: Session, staff: Staff, point_id: int) -> bool:
    found = session.scalar(
        select(ServingGroup.id).where(
            ServingGroup.contact_point_id == point_id, ServingGroup.representative_id == staff.id
        )
    )
    return found is not None


def fill_seat(
    session: Session,
    point: ContactPoint,
    shift: Shift,
    volunteer: Volunteer,
    *,
    actor: Staff,
    now: datetime,
) -> Shift:
    may_fill(session, actor, point, shift)
    seats.assign(session, point, shift, volunteer, actor=actor, duty_phone=None, now=now)
    return shift


def serve_whole(
    session: Session,
    point: ContactPoint,
    shift: Shift,
    phone: DutyPhone,
    *,
    actor: Staff,
    now: datetime,
) -> RotaAssignment:
    """The group serves the shift as a whole: its first free seat rings the duty mobile the
    group carries, whoever of them holds it."""
    may_fill(session, actor, point, shift)
    seats.check_open(shift, now)
    if phone.kind is not DutyPhoneKind.mobile:
        raise NotAMobile()
    assignment = assignment_of(session, point, shift)
    assignment.duty_phone_id = phone.id
    held = next((seat for seat in shift.seats if seat.duty_phone_id == phone.id), None)
    # The last free seat: volunteers signing up take the first ones.
    free = next((seat for seat in reversed(shift.seats) if seat.volunteer_id is None), None)
    if held is None and free is not None:
        free.duty_phone_id = phone.id
    session.flush()
    audited(session, actor, "rota.whole_group", "shift", shift.id)
    return assignment
