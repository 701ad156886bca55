"""The helpline's records as the API and the console show them: a volunteer's number only to
themself and the coordinators, never another volunteer's to a volunteer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.clock import local_time
from helpline import noshows, records, seats, service, shifts
from helpline.models import (
    ContactPoint,
    DutyPhone,
    HelplineCall,
    Shift,
    ShiftTemplate,
    Volunteer,
)
from helpline.schemas import (
    CallRead,
    ContactPointRead,
    LegRead,
    SeatRead,
    ShiftRead,
    TemplateRead,
    VolunteerRead,
)


def point_read(session: Session, point: ContactPoint) -> ContactPointRead:
    return ContactPointRead(
        id=point.id,
        name=point.name,
        language=point.language,
        time_zone=point.time_zone,
        ring_strategy=point.ring_strategy,
        ring_seconds=point.ring_seconds,
        national_order=point.national_order,
        announce_national=point.announce_national,
        number_on_national=point.number_on_national,
        signup_cutoff_hours=point.signup_cutoff_hours,
        lines=service.point_lines(session, point.id),
        no_show_minutes=point.no_show_minutes,
        no_show_limit=point.no_show_limit,
        no_show_days=point.no_show_days,
        ring_checked_in_only=point.ring_checked_in_only,
    )


def template_read(template: ShiftTemplate) -> TemplateRead:
    return TemplateRead.of(template.id, shifts.weekly(template), template.seats, template.rings_at)


def _usernames(session: Session, volunteer_ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        select(Volunteer.id, Staff.username)
        .join(Staff, Staff.id == Volunteer.staff_id)
        .where(Volunteer.id.in_(volunteer_ids))
    )
    return {key: value for key, value in rows}


def _phone_labels(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(DutyPhone.id, DutyPhone.label).where(DutyPhone.id.in_(ids)))
    return {key: value for key, value in rows}


def shift_reads(
    session: Session, point: ContactPoint, found: list[Shift], viewer: Volunteer | None
) -> list[ShiftRead]:
    all_seats = [seat for shift in found for seat in shift.seats]
    names = _usernames(session, {s.volunteer_id for s in all_seats if s.volunteer_id is not None})
    labels = _phone_labels(session, {s.duty_phone_id for s in all_seats if s.duty_phone_id})
    mine = viewer.id if viewer is not None else None
    return [
        ShiftRead(
            id=shift.id,
            local_date=shift.local_date,
            local_start=local_time(shift.starts_at, point.time_zone),
            local_end=local_time(shift.ends_at, point.time_zone),
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            rings_at=shift.rings_at,
            status=shift.status,
            open_seats=seats.open_seats(shift),
            seats=[
                SeatRead(
                    position=seat.position,
                    volunteer_id=seat.volunteer_id,
                    username=names.get(seat.volunteer_id) if seat.volunteer_id else None,
                    mine=seat.volunteer_id is not None and seat.volunteer_id == mine,
                    duty_phone=labels.get(seat.duty_phone_id) if seat.duty_phone_id else None,
                    checked_in_at=seat.checked_in_at,
                    checked_in_by=seat.checked_in_by,
                    pending_approval=seat.pending_approval,
                )
                for seat in shift.seats
            ],
        )
        for shift in found
    ]


def volunteer_reads(
    session: Session, point: ContactPoint, viewer: Staff, now: datetime | None = None
) -> list[VolunteerRead]:
    """The team; numbers only for coordinators (and one's own), and no-shows only for
    coordinators when ``now`` is given."""
    coordinator = service.is_coordinator(session, viewer, point.id)
    missed = noshows.counts(session, point, now) if coordinator and now is not None else None
    return [
        VolunteerRead(
            id=volunteer.id,
            staff_id=staff.id,
            username=staff.username,
            phone=volunteer.phone if coordinator or staff.id == viewer.id else None,
            no_shows=missed.get(volunteer.id, 0) if missed is not None else None,
        )
        for volunteer, staff in service.list_volunteers(session, point)
    ]


def call_read(session: Session, call: HelplineCall) -> CallRead:
    names = _usernames(session, {leg.volunteer_id for leg in call.legs if leg.volunteer_id})
    labels = _phone_labels(session, {leg.duty_phone_id for leg in call.legs if leg.duty_phone_id})
    taken = next((leg for leg in call.legs if leg.id == call.taken_by_leg_id), None)
    wait = (
        int((call.answered_at - call.started_at).total_seconds())
        if call.answered_at is not None
        else None
    )
    return CallRead(
        id=call.id,
        contact_point_id=call.contact_point_id,
        national=call.national,
        started_at=call.started_at,
        wait_seconds=wait,
        talk_seconds=call.talk_seconds,
        outcome=call.outcome,
        taken_by=names.get(taken.volunteer_id) if taken and taken.volunteer_id else None,
        rung=[
            LegRead(
                username=names.get(leg.volunteer_id) if leg.volunteer_id else None,
                duty_phone=labels.get(leg.duty_phone_id) if leg.duty_phone_id else None,
                outcome=leg.outcome,
            )
            for leg in call.legs
        ],
        earlier_calls=records.earlier_calls(session, call),
    )
