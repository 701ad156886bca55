"""The check-in's JSON API under ``/api/v1/helpline``: a volunteer checks in for their seat (or a
coordinator for one of theirs), and the coordinators decide on sign-ups waiting for approval."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from auth.dependencies import CurrentStaff
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS
from core.schemas import PathId
from helpline import checkin, noshows
from helpline.dependencies import CoordinatedPoint, VisiblePoint
from helpline.models import CheckInBy
from helpline.schemas import CheckInRead, CheckInRequest, PendingSignUpRead

router = APIRouter(prefix="/api/v1/helpline", tags=["helpline"], responses=API_ERRORS)
POINT = "/contact-points/{point_id}"


@router.post(POINT + "/shifts/{shift_id}/check-in", response_model=CheckInRead)
def check_in(
    *,
    shift_id: PathId,
    point: VisiblePoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
    data: Annotated[CheckInRequest | None, Body()] = None,
) -> object:
    """Check in for a seat of a shift running now or starting soon: one's own, or (coordinators)
    a volunteer's."""
    seat = checkin.seat_for(
        session,
        point,
        shift_id,
        actor=staff,
        volunteer_id=data.volunteer_id if data else None,
        now=now,
    )
    checkin.check_in(session, seat, by=CheckInBy.api, now=now)
    return seat  # checked in now, or already before


@router.get(POINT + "/sign-ups/pending", response_model=list[PendingSignUpRead])
def list_pending(point: CoordinatedPoint, session: SessionDep, now: Now) -> object:
    """Sign-ups waiting for approval after too many no-shows (coordinators)."""
    return noshows.pending_reads(session, point, now)


@router.post(POINT + "/sign-ups/{seat_id}/approve", status_code=status.HTTP_204_NO_CONTENT)
def approve(
    seat_id: PathId, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff, now: Now
) -> None:
    """Approve a waiting sign-up: the seat is rung from now on; the volunteer is told."""
    seat = noshows.get_pending(session, point, seat_id, now)
    noshows.decide(session, seat, approve=True, actor=staff, now=now)


@router.post(POINT + "/sign-ups/{seat_id}/refuse", status_code=status.HTTP_204_NO_CONTENT)
def refuse(
    seat_id: PathId, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff, now: Now
) -> None:
    """Refuse a waiting sign-up: the seat is open again; the volunteer is told."""
    seat = noshows.get_pending(session, point, seat_id, now)
    noshows.decide(session, seat, approve=False, actor=staff, now=now)
