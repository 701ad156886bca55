"""Contact points, their lines and duty phones, volunteers and coordinators, blocks and the call
log: the helpline's setup and records (the shifts are in ``helpline.shifts``).

Who may do what (``helpline.dependencies``): admins everything; a contact point's coordinators
its schedule, volunteers, duty phones, calls and blocks; its volunteers see its schedule and
sign up. Every change is audited without personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core import pii
from groups.exceptions import LineNotFound
from groups.models import Line, group_lines
from helpline import seats
from helpline.exceptions import (
    ContactPointNotFound,
    DutyPhoneNotFound,
    LineUsedByGroup,
    NameTaken,
    PhoneTaken,
    StaffNotFound,
    VolunteerNotFound,
)
from helpline.models import (
    ContactPoint,
    DutyPhone,
    HelplineLine,
    ServingGroup,
    Volunteer,
    contact_point_coordinators,
    contact_point_volunteers,
)
from helpline.schemas import (
    ContactPointCreate,
    ContactPointUpdate,
    DutyPhoneCreate,
    VolunteerCreate,
)

# --- who may see what ------------------------------------------------------------------------


def coordinated_ids(session: Session, staff: Staff) -> set[int] | None:
    """The contact points ``staff`` coordinates (None: all, for an admin)."""
    if staff.role is Role.admin:
        return None
    rows = session.scalars(
        select(contact_point_coordinators.c.contact_point_id).where(
            contact_point_coordinators.c.staff_id == staff.id
        )
    )
    return set(rows)


def served_ids(session: Session, staff: Staff) -> set[int]:
    """The contact points ``staff`` serves at as a volunteer."""
    rows = session.scalars(
        select(contact_point_volunteers.c.contact_point_id)
        .join(Volunteer, Volunteer.id == contact_point_volunteers.c.volunteer_id)
        .where(Volunteer.staff_id == staff.id)
    )
    return set(rows)


def is_coordinator(session: Session, staff: Staff, point_id: int) -> bool:
    coordinated = coordinated_ids(session, staff)
    return coordinated is None or point_id in coordinated


def visible_ids(session: Session, staff: Staff) -> set[int] | None:
    coordinated = coordinated_ids(session, staff)
    return None if coordinated is None else coordinated | served_ids(session, staff)


def takes_part(session: Session, staff: Staff) -> bool:
    """Whether ``staff`` has a place on the helpline: an admin, or a coordinator or volunteer of
    some contact point, or a serving group's representative (what the console's navigation
    offers them)."""
    if staff.role is Role.admin:
        return True
    coordinates = select(contact_point_coordinators.c.staff_id).where(
        contact_point_coordinators.c.staff_id == staff.id
    )
    serves = (
        select(Volunteer.id)
        .join(contact_point_volunteers, contact_point_volunteers.c.volunteer_id == Volunteer.id)
        .where(Volunteer.staff_id == staff.id)
    )
    represents = select(ServingGroup.id).where(ServingGroup.representative_id == staff.id)
    either = or_(coordinates.exists(), serves.exists(), represents.exists())
    return bool(session.scalar(select(either)))


# --- contact points --------------------------------------------------------------------------


def get_point(session: Session, point_id: int) -> ContactPoint:
    point = session.get(ContactPoint, point_id)
    if point is None:
        raise ContactPointNotFound()
    return point


def list_points(session: Session, staff: Staff) -> list[ContactPoint]:
    query = select(ContactPoint).order_by(ContactPoint.name)
    visible = visible_ids(session, staff)
    if visible is not None:
        query = query.where(ContactPoint.id.in_(visible))
    return list(session.scalars(query))


def create_point(session: Session, *, actor: Staff, data: ContactPointCreate) -> ContactPoint:
    if session.scalar(select(ContactPoint.id).where(ContactPoint.name == data.name)):
        raise NameTaken()
    point = ContactPoint(**data.model_dump(mode="python"))
    point.language = data.language.value
    session.add(point)
    session.flush()
    seats.audited(session, actor, "contact_point.create", "contact_point", point.id)
    return point


def update_point(
    session: Session, point: ContactPoint, *, actor: Staff, data: ContactPointUpdate
) -> ContactPoint:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("national_order") == 0:
        changes["national_order"] = None  # off the national line
    if "name" in changes and changes["name"] != point.name:
        taken = select(ContactPoint.id).where(ContactPoint.name == changes["name"])
        if session.scalar(taken):
            raise NameTaken()
    for field, value in changes.items():
        setattr(point, field, getattr(value, "value", value))
    if "language" in changes:  # what its lines' callers hear, as attaching a line sets it
        own = select(HelplineLine.line_id).where(HelplineLine.contact_point_id == point.id)
        session.execute(update(Line).where(Line.id.in_(own)).values(language=point.language))
    seats.audited(session, actor, "contact_point.update", "contact_point", point.id)
    return point


def point_lines(session: Session, point_id: int | None) -> list[str]:
    """The numbers of a contact point's lines (None: the national line's)."""
    query = select(Line.number).join(HelplineLine, HelplineLine.line_id == Line.id)
    if point_id is None:
        query = query.where(HelplineLine.contact_point_id.is_(None))
    else:
        query = query.where(HelplineLine.contact_point_id == point_id)
    return list(session.scalars(query.order_by(Line.id)))


def attach_line(
    session: Session, *, actor: Staff, point: ContactPoint | None, line_id: int
) -> Line:
    """Give the line to a contact point (None: make it the national line). A line of a group is
    refused; a line of another contact point moves, keeping no routing to the old one."""
    line = session.scalar(select(Line).where(Line.id == line_id).with_for_update())
    if line is None:
        raise LineNotFound()
    in_group = session.scalar(select(exists().where(group_lines.c.line_id == line_id)))
    if in_group:
        raise LineUsedByGroup()
    session.execute(delete(HelplineLine).where(HelplineLine.line_id == line_id))
    session.add(HelplineLine(line_id=line_id, contact_point_id=point.id if point else None))
    if point is not None:
        line.language = point.language  # what the line's callers hear
    seats.audited(session, actor, "helpline.line_attach", "line", line_id)
    session.flush()
    return line


def detach_line(session: Session, *, actor: Staff, line_id: int) -> None:
    session.execute(delete(HelplineLine).where(HelplineLine.line_id == line_id))
    seats.audited(session, actor, "helpline.line_detach", "line", line_id)


def free_lines(session: Session) -> list[Line]:
    """The organisation's lines that belong to no group and not to the helpline."""
    taken = select(HelplineLine.line_id).union(select(group_lines.c.line_id))
    return list(session.scalars(select(Line).where(Line.id.not_in(taken)).order_by(Line.number)))


# --- duty phones -----------------------------------------------------------------------------


def add_duty_phone(
    session: Session, point: ContactPoint, *, actor: Staff, data: DutyPhoneCreate
) -> DutyPhone:
    if _number_used(session, data.number):
        raise PhoneTaken()
    phone = DutyPhone(
        contact_point_id=point.id, kind=data.kind, label=data.label, number=data.number
    )
    session.add(phone)
    session.flush()
    seats.audited(session, actor, "duty_phone.create", "duty_phone", phone.id)
    return phone


def list_duty_phones(session: Session, point: ContactPoint) -> list[DutyPhone]:
    query = select(DutyPhone).where(DutyPhone.contact_point_id == point.id)
    return list(session.scalars(query.order_by(DutyPhone.kind, DutyPhone.id)))


def get_duty_phone(session: Session, point: ContactPoint, phone_id: int) -> DutyPhone:
    phone = session.get(DutyPhone, phone_id)
    if phone is None or phone.contact_point_id != point.id:
        raise DutyPhoneNotFound()
    return phone


def remove_duty_phone(session: Session, phone: DutyPhone, *, actor: Staff) -> None:
    session.delete(phone)
    seats.audited(session, actor, "duty_phone.delete", "duty_phone", phone.id)


def _number_used(session: Session, number: str) -> bool:
    as_volunteer = select(Volunteer.id).where(Volunteer.phone_index == pii.phone_index(number))
    as_duty = select(DutyPhone.id).where(DutyPhone.number == number)
    return bool(session.scalar(as_volunteer) or session.scalar(as_duty))


# --- volunteers and coordinators -------------------------------------------------------------


def _active_staff(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.is_active:
        raise StaffNotFound()
    return staff


def add_volunteer(
    session: Session, point: ContactPoint, *, actor: Staff, data: VolunteerCreate
) -> Volunteer:
    """Attach a staff account to the contact point as a volunteer, with the phone its seats
    ring. One account has one phone across the contact points it serves."""
    _active_staff(session, data.staff_id)
    volunteer = session.scalar(select(Volunteer).where(Volunteer.staff_id == data.staff_id))
    index = pii.phone_index(data.phone)
    changes_phone = volunteer is None or volunteer.phone_index != index
    if changes_phone and _number_used(session, data.phone):
        raise PhoneTaken()
    if volunteer is None:
        volunteer = Volunteer(staff_id=data.staff_id, phone=data.phone, phone_index=index)
        session.add(volunteer)
    elif changes_phone:
        volunteer.phone, volunteer.phone_index = data.phone, index
    session.flush()
    joins = not serves_at(session, volunteer.id, point.id)
    if joins:
        session.execute(
            insert(contact_point_volunteers).values(
                contact_point_id=point.id, volunteer_id=volunteer.id
            )
        )
    if joins or changes_phone:  # the same request again changes nothing and is not recorded
        seats.audited(session, actor, "volunteer.add", "volunteer", volunteer.id)
    return volunteer


def list_volunteers(session: Session, point: ContactPoint) -> list[tuple[Volunteer, Staff]]:
    rows = session.execute(
        select(Volunteer, Staff)
        .join(Staff, Staff.id == Volunteer.staff_id)
        .join(
            contact_point_volunteers,
            contact_point_volunteers.c.volunteer_id == Volunteer.id,
        )
        .where(contact_point_volunteers.c.contact_point_id == point.id)
        .order_by(func.lower(Staff.username))
    )
    return [(volunteer, staff) for volunteer, staff in rows]


def get_volunteer(session: Session, point: ContactPoint, volunteer_id: int) -> Volunteer:
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None or not serves_at(session, volunteer.id, point.id):
        raise VolunteerNotFound()
    return volunteer


def volunteer_of(session: Session, staff: Staff) -> Volunteer | None:
    return session.scalar(select(Volunteer).where(Volunteer.staff_id == staff.id))


def serves_at(session: Session, volunteer_id: int, point_id: int) -> bool:
    found = session.execute(
        select(contact_point_volunteers).where(
            contact_point_volunteers.c.contact_point_id == point_id,
            contact_point_volunteers.c.volunteer_id == volunteer_id,
        )
    ).first()
    return found is not None


def remove_volunteer(
    session: Session, point: ContactPoint, volunteer: Volunteer, *, actor: Staff, now: datetime
) -> int:
    """The volunteer no longer serves here; their seats here, the shift under way included, are
    freed (how many is returned, for the coordinator)."""
    freed = seats.free_coming_seats(session, point, volunteer, now=now)
    session.execute(
        delete(contact_point_volunteers).where(
            contact_point_volunteers.c.contact_point_id == point.id,
            contact_point_volunteers.c.volunteer_id == volunteer.id,
        )
    )
    seats.audited(session, actor, "volunteer.remove", "volunteer", volunteer.id)
    return freed


def add_coordinator(session: Session, point: ContactPoint, *, actor: Staff, staff_id: int) -> Staff:
    staff = _active_staff(session, staff_id)
    statement = insert(contact_point_coordinators).values(
        contact_point_id=point.id, staff_id=staff.id
    )
    try:
        with session.begin_nested():
            session.execute(statement)
    except IntegrityError:
        return staff  # a coordinator already: nothing changed, nothing to record
    seats.audited(session, actor, "coordinator.add", "staff", staff.id)
    return staff


def list_coordinators(session: Session, point: ContactPoint) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .join(contact_point_coordinators, contact_point_coordinators.c.staff_id == Staff.id)
            .where(contact_point_coordinators.c.contact_point_id == point.id)
            .order_by(func.lower(Staff.username))
        )
    )


# --- calls and blocks ------------------------------------------------------------------------
