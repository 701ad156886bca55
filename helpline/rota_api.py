"""The rota, mentoring and coordinators' terms under ``/api/v1/helpline`` (rules live in
``helpline.rota``, ``helpline.mentoring`` and ``helpline.terms``).

Coordinators keep the serving groups, generate and edit a month's rota, name candidates and
their mentors, and record the coordinator's term. The month's rota is read by the contact point's
volunteers and by the serving groups' representatives, who fill their group's shifts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from auth.dependencies import CurrentStaff
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS
from core.schemas import PathId
from helpline import mentoring, rota, rota_views, schedule, seats, service, terms, views
from helpline.dependencies import CoordinatedPoint, RotaPoint
from helpline.rota_schemas import (
    MONTH_PATTERN,
    CandidacyCreate,
    CandidacyExtend,
    CandidacyRead,
    RotaEdit,
    RotaMonthRead,
    RotaSeat,
    RotaSettings,
    RotaSettingsRead,
    RotaShiftRead,
    ServingGroupCreate,
    ServingGroupRead,
    ServingGroupUpdate,
    WholeGroup,
)
from helpline.schemas import ShiftRead

router = APIRouter(prefix="/api/v1/helpline", tags=["helpline rota"], responses=API_ERRORS)
POINT = "/contact-points/{point_id}"
Month = Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM, local")]


# --- settings and serving groups -------------------------------------------------------------


@router.get(POINT + "/rota-settings", response_model=RotaSettingsRead)
def get_settings(point: CoordinatedPoint) -> object:
    """Groups per month, the mentoring rule and the coordinator's term (coordinators)."""
    return point


@router.patch(POINT + "/rota-settings", response_model=RotaSettingsRead)
def update_settings(
    data: RotaSettings, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """Set groups per month, the mentoring rule, the coordinator's term (coordinators)."""
    return terms.update_settings(session, point, actor=staff, data=data)


@router.get(POINT + "/serving-groups", response_model=list[ServingGroupRead])
def list_serving_groups(point: CoordinatedPoint, session: SessionDep) -> object:
    """The groups taking turns, in order, with their representatives (coordinators)."""
    return rota.list_groups(session, point)


@router.post(POINT + "/serving-groups", response_model=ServingGroupRead, status_code=201)
def add_serving_group(
    data: ServingGroupCreate, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """A group joins the rota: one of ours or just a name, with its representative."""
    return rota.add_group(session, point, actor=staff, data=data)


@router.patch(POINT + "/serving-groups/{group_id}", response_model=ServingGroupRead)
def update_serving_group(
    group_id: PathId,
    data: ServingGroupUpdate,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
) -> object:
    """Rename, reorder, pause or resume a group, or change its representative."""
    group = rota.get_group(session, point, group_id)
    return rota.update_group(session, point, group, actor=staff, data=data)


# --- the month's rota ------------------------------------------------------------------------


@router.get(POINT + "/rota/{month}", response_model=RotaMonthRead)
def get_rota(month: Month, point: RotaPoint, session: SessionDep) -> object:
    """Which group covers which shift in the month (volunteers, representatives, coordinators)."""
    return rota_views.month_read(session, point, schedule.parse_month(month))


@router.post(POINT + "/rota/{month}/generate", response_model=RotaMonthRead)
def generate_rota(
    *, month: Month, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff, now: Now
) -> object:
    """Share the month's shifts out to the groups whose turn it is; again: hand edits stay."""
    first = schedule.parse_month(month)
    rota.generate(session, point, month=first, actor=staff, now=now)
    return rota_views.month_read(session, point, first)


@router.put(POINT + "/rota/shifts/{shift_id}", response_model=RotaShiftRead)
def edit_rota(
    *,
    shift_id: PathId,
    data: RotaEdit,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """Give a shift to another group, or to none (coordinators)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    group = (
        rota.get_group(session, point, data.serving_group_id)
        if data.serving_group_id is not None
        else None
    )
    rota.set_group(session, point, shift, group, actor=staff, now=now)
    return rota_views.rota_shift_read(session, point, shift)


@router.post(POINT + "/rota/shifts/{shift_id}/seats", response_model=ShiftRead)
def fill_rota_seat(
    *,
    shift_id: PathId,
    data: RotaSeat,
    point: RotaPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """Seat a volunteer of this contact point on the group's shift (its representative)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    rota.may_fill(session, staff, point, shift)
    volunteer = service.get_volunteer(session, point, data.volunteer_id)
    rota.fill_seat(session, point, shift, volunteer, actor=staff, now=now)
    return views.shift_reads(session, point, [shift], None)[0]


@router.post(POINT + "/rota/shifts/{shift_id}/whole-group", response_model=RotaShiftRead)
def serve_as_whole_group(
    *,
    shift_id: PathId,
    data: WholeGroup,
    point: RotaPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """The group serves the shift as a whole on a duty mobile (its representative)."""
    shift = seats.get_shift(session, point, shift_id, lock=True)
    rota.may_fill(session, staff, point, shift)
    phone = service.get_duty_phone(session, point, data.duty_phone_id)
    rota.serve_whole(session, point, shift, phone, actor=staff, now=now)
    return rota_views.rota_shift_read(session, point, shift)


# --- candidates ------------------------------------------------------------------------------


@router.get(POINT + "/candidates", response_model=list[CandidacyRead])
def list_candidates(point: CoordinatedPoint, session: SessionDep) -> object:
    """Candidacies, the earliest ending first (coordinators)."""
    return mentoring.candidates(session, point)


@router.post(POINT + "/candidates", response_model=CandidacyRead, status_code=201)
def add_candidate(
    *,
    data: CandidacyCreate,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """A volunteer becomes a candidate with an experienced volunteer as mentor (coordinators)."""
    return mentoring.add_candidate(
        session,
        point,
        actor=staff,
        volunteer=service.get_volunteer(session, point, data.volunteer_id),
        mentor=service.get_volunteer(session, point, data.mentor_id),
        starts_on=data.starts_on,
        months=data.months,
        now=now,
    )


@router.post(POINT + "/candidates/{candidacy_id}/confirm", response_model=CandidacyRead)
def confirm_candidate(
    candidacy_id: PathId, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """The candidate is confirmed as an experienced volunteer (coordinators)."""
    candidacy = mentoring.get_candidacy(session, point, candidacy_id)
    return mentoring.confirm(session, candidacy, actor=staff)


@router.post(POINT + "/candidates/{candidacy_id}/extend", response_model=CandidacyRead)
def extend_candidacy(
    candidacy_id: PathId,
    data: CandidacyExtend,
    point: CoordinatedPoint,
    session: SessionDep,
    staff: CurrentStaff,
) -> object:
    """The candidacy goes on for some months more (coordinators)."""
    candidacy = mentoring.get_candidacy(session, point, candidacy_id)
    return mentoring.extend(session, candidacy, actor=staff, months=data.months)
