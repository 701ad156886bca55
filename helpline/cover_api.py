"""Cover and swaps in the JSON API under ``/api/v1/helpline`` (rules live in ``helpline.cover``
and ``helpline.swaps``).

A contact point's staff see its open cover requests and seat offers; its volunteers take a seat
someone gave up, offer their own seat (to a named volunteer or to all), take an offer made to
them, or take their own offer back. Each volunteer sets how reminders and cover requests reach
them; the coordinators set the cover deadline and when a shift short of volunteers is told.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from auth.dependencies import CurrentStaff
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS
from core.schemas import PathId
from helpline import cover, cover_people, seats, service, swaps, views
from helpline.dependencies import CoordinatedPoint, OwnVolunteer, VisiblePoint
from helpline.exceptions import VolunteerNotFound, VolunteersOnly
from helpline.models import ContactPoint, CoverRequest, SeatOffer, Volunteer
from helpline.schemas import (
    CoverRequestRead,
    CoverSettings,
    CoverSettingsRead,
    PreferencesRead,
    PreferencesUpdate,
    SeatOfferCreate,
    SeatOfferRead,
    ShiftRead,
)

router = APIRouter(prefix="/api/v1/helpline", tags=["helpline cover"], responses=API_ERRORS)
POINT = "/contact-points/{point_id}"


def _request_read(session: Session, point: ContactPoint, request: CoverRequest) -> object:
    [shift] = views.shift_reads(session, point, [request.shift], None)
    return CoverRequestRead(
        id=request.id,
        shift=shift,
        position=request.position,
        reason=request.reason,
        deadline=request.deadline,
        filled=request.filled_at is not None,
        coordinators_told=request.expired_at is not None,
    )


def _offer_read(
    session: Session, point: ContactPoint, offer: SeatOffer, viewer: Volunteer | None
) -> SeatOfferRead:
    [shift] = views.shift_reads(session, point, [offer.shift], viewer)
    mine = viewer is not None and offer.from_volunteer_id == viewer.id
    return SeatOfferRead(id=offer.id, shift=shift, to_volunteer_id=offer.to_volunteer_id, mine=mine)


# --- cover requests ---------------------------------------------------------------------------


@router.get(POINT + "/cover-requests", response_model=list[CoverRequestRead])
def list_cover_requests(point: VisiblePoint, session: SessionDep, now: Now) -> object:
    """The contact point's seats waiting for cover (its coordinators and volunteers)."""
    return [_request_read(session, point, r) for r in cover.open_requests(session, point, now=now)]


@router.post(POINT + "/cover-requests/{request_id}/accept", response_model=ShiftRead)
def accept_cover_request(
    request_id: PathId,
    point: VisiblePoint,
    volunteer: OwnVolunteer,
    session: SessionDep,
    now: Now,
) -> object:
    """Take the seat (volunteers of this contact point; the first to accept gets it)."""
    request = cover.get_request(session, point, request_id)
    cover.take(session, request=request, volunteer=volunteer, now=now)
    return views.shift_reads(session, point, [request.shift], volunteer)[0]


@router.get(POINT + "/cover-settings", response_model=CoverSettingsRead)
def get_cover_settings(point: CoordinatedPoint) -> object:
    return point


@router.patch(POINT + "/cover-settings", response_model=CoverSettingsRead)
def change_cover_settings(
    data: CoverSettings, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """The cover deadline and the days before a shift short of volunteers (coordinators)."""
    cover_people.change_settings(
        session, point, actor=staff, data=data.model_dump(exclude_unset=True)
    )
    return point


# --- swaps --------------------------------------------------------------------------------------


@router.get(POINT + "/seat-offers", response_model=list[SeatOfferRead])
def list_seat_offers(
    point: VisiblePoint, session: SessionDep, staff: CurrentStaff, now: Now
) -> object:
    """Open seat offers: all of them for a coordinator, a volunteer's own and those open to
    them for a volunteer."""
    viewer = service.volunteer_of(session, staff)
    coordinator = service.is_coordinator(session, staff, point.id)
    offers = swaps.list_open(session, point, now=now, for_volunteer=None if coordinator else viewer)
    return [_offer_read(session, point, offer, viewer) for offer in offers]


@router.post(POINT + "/seat-offers", response_model=SeatOfferRead, status_code=201)
def offer_seat(
    data: SeatOfferCreate,
    point: VisiblePoint,
    volunteer: OwnVolunteer,
    session: SessionDep,
    now: Now,
) -> object:
    """Offer one's seat to a volunteer of this contact point, or to all (volunteers)."""
    shift = seats.get_shift(session, point, data.shift_id, lock=True)
    to = None
    if data.to_volunteer_id is not None:
        to = session.get(Volunteer, data.to_volunteer_id)
        if to is None:
            raise VolunteerNotFound()
    offer = swaps.offer(session, point, shift, volunteer, to=to, now=now)
    return _offer_read(session, point, offer, volunteer)


@router.post(POINT + "/seat-offers/{offer_id}/take", response_model=ShiftRead)
def take_seat_offer(
    offer_id: PathId,
    point: VisiblePoint,
    volunteer: OwnVolunteer,
    session: SessionDep,
    now: Now,
) -> object:
    """Confirm: the offered seat is the caller's (the volunteer it was offered to, or anyone
    for an offer to all)."""
    offer = swaps.get_offer(session, point, offer_id)
    swaps.take(session, offer, volunteer, now=now)
    return views.shift_reads(session, point, [offer.shift], volunteer)[0]


@router.post(POINT + "/seat-offers/{offer_id}/cancel", status_code=204)
def cancel_seat_offer(
    offer_id: PathId,
    point: VisiblePoint,
    volunteer: OwnVolunteer,
    session: SessionDep,
    now: Now,
) -> None:
    """Take one's own offer back."""
    offer = swaps.get_offer(session, point, offer_id)
    swaps.cancel(session, offer, volunteer, now=now)


# --- a volunteer's preferences ----------------------------------------------------------------


def _own_volunteer(session: Session, staff: CurrentStaff) -> Volunteer:
    volunteer = service.volunteer_of(session, staff)
    if volunteer is None:
        raise VolunteersOnly()
    return volunteer


@router.get("/me/preferences", response_model=PreferencesRead)
def get_preferences(session: SessionDep, staff: CurrentStaff) -> object:
    """How reminders and cover requests reach the caller (volunteers)."""
    return _own_volunteer(session, staff)


@router.patch("/me/preferences", response_model=PreferencesRead)
def change_preferences(data: PreferencesUpdate, session: SessionDep, staff: CurrentStaff) -> object:
    """SMS or e-mail, and whether to be asked to cover seats (volunteers)."""
    volunteer = _own_volunteer(session, staff)
    cover_people.change_preferences(session, volunteer, data=data.model_dump(exclude_unset=True))
    return volunteer
