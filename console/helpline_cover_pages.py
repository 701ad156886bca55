"""Cover and swaps in the console: a contact point's seats waiting for cover and its open seat
offers; a volunteer takes a seat, offers their own (to a named volunteer or to all), takes an
offer or withdraws their own, and chooses how reminders and cover requests reach them; the
coordinators set the cover deadline and the unfilled-shift alert. The rules are
``helpline.cover``'s and ``helpline.swaps``'; a refusal is shown on the page in its words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth.models import Staff
from console import forms, helpline_views
from console.dependencies import (
    ConsoleCoordinatedPoint,
    ConsolePoint,
    ConsoleStaff,
    ConsoleVolunteer,
    FormFields,
)
from console.rendering import (
    PREFIX,
    flash,
    local_date_time,
    redirect,
    reject_form,
    render,
    sentence,
)
from core.clock import Now
from core.database import SessionDep
from core.errors import AppError
from core.schemas import PathId
from helpline import cover, cover_people, seats, service, swaps
from helpline.models import ContactPoint, NotifyBy
from helpline.schemas import CoverSettings, PreferencesUpdate, SeatOfferCreate

router = APIRouter(prefix="/helpline")
TEMPLATE = "helpline_cover.html"


def cover_path(point_id: int) -> str:
    return f"{PREFIX}/helpline/{point_id}/cover"


def _context(session: Session, point: ContactPoint, staff: Staff, now: datetime) -> dict[str, Any]:
    volunteer = service.volunteer_of(session, staff)
    if volunteer is not None and not service.serves_at(session, volunteer.id, point.id):
        volunteer = None
    coordinator = service.is_coordinator(session, staff, point.id)
    requests = [
        {
            "id": request.id,
            "when": helpline_views.describe(point, request.shift),
            "deadline": local_date_time(request.deadline, point.time_zone),
            "told": request.expired_at is not None,
        }
        for request in cover.open_requests(session, point, now=now)
    ]
    offers = [
        {
            "id": offer.id,
            "when": helpline_views.describe(point, offer.shift),
            "mine": volunteer is not None and offer.from_volunteer_id == volunteer.id,
            "to_all": offer.to_volunteer_id is None,
            "for_me": volunteer is not None and offer.to_volunteer_id == volunteer.id,
        }
        for offer in swaps.list_open(
            session, point, now=now, for_volunteer=None if coordinator else volunteer
        )
    ]
    mine = swaps.coming_shifts(session, point, volunteer, now=now) if volunteer else []
    team = [
        (other.id, person.username)
        for other, person in service.list_volunteers(session, point)
        if volunteer is None or other.id != volunteer.id
    ]
    return {
        "point": point,
        "coordinator": coordinator,
        "volunteer": volunteer,
        "requests": requests,
        "offers": offers,
        "my_shifts": [(shift.id, helpline_views.describe(point, shift)) for shift in mine],
        "team": team,
        "channels": {NotifyBy.sms: "SMS", NotifyBy.email: "E-mail"},
    }


def _do(
    request: Request,
    action: Callable[[], object],
    said: str,
    *,
    point: ContactPoint,
    staff: Staff,
    session: Session,
    now: datetime,
) -> Response:
    """Run ``action``; the confirmation ``said``, or the page again with the refusal."""
    try:
        action()
    except AppError as exc:
        context = _context(session, point, staff, now)
        errors = {"form": sentence(exc.detail)}
        raise reject_form(request, TEMPLATE, context, errors, staff=staff) from exc
    flash(request, said)
    return redirect(cover_path(point.id))


@router.get("/{point_id}/cover")
def cover_page(
    request: Request,
    *,
    point: ConsolePoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
    shift: Annotated[int | None, Query(ge=1, description="the seat to offer")] = None,
) -> Response:
    """Seats waiting for cover, open seat offers, and one's own settings."""
    context = _context(session, point, staff, now)
    if shift is not None:
        context["values"] = {"shift_id": str(shift)}
    return render(request, TEMPLATE, context, staff=staff)


@router.post("/{point_id}/cover/{request_id}/take")
def take_cover(
    request: Request,
    *,
    request_id: PathId,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Take a seat someone gave up (the first to take it gets it)."""
    wanted = cover.get_request(session, point, request_id)
    return _do(
        request,
        lambda: cover.take(session, request=wanted, volunteer=volunteer, now=now),
        f"Thank you: you are on duty {helpline_views.describe(point, wanted.shift)}.",
        point=point,
        staff=staff,
        session=session,
        now=now,
    )


@router.post("/{point_id}/cover/offers")
def offer_seat(
    request: Request,
    *,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Offer one's seat to a volunteer of this contact point, or to all."""
    picked = forms.pick(fields, "shift_id", "to_volunteer_id")
    data, errors = forms.validate(SeatOfferCreate, {k: v for k, v in picked.items() if v})
    if data is None:
        context = _context(session, point, staff, now)
        raise reject_form(request, TEMPLATE, context, errors, staff=staff)
    shift = seats.get_shift(session, point, data.shift_id, lock=True)

    def offer() -> None:
        to = None
        if data.to_volunteer_id is not None:
            to = service.get_volunteer(session, point, data.to_volunteer_id)
        swaps.offer(session, point, shift, volunteer, to=to, now=now)

    said = f"Your seat {helpline_views.describe(point, shift)} is offered."
    return _do(request, offer, said, point=point, staff=staff, session=session, now=now)


@router.post("/{point_id}/cover/offers/{offer_id}/take")
def take_offer(
    request: Request,
    *,
    offer_id: PathId,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Confirm: the offered seat is the caller's."""
    offer = swaps.get_offer(session, point, offer_id)
    said = f"Thank you: you are on duty {helpline_views.describe(point, offer.shift)}."
    return _do(
        request,
        lambda: swaps.take(session, offer, volunteer, now=now),
        said,
        point=point,
        staff=staff,
        session=session,
        now=now,
    )


@router.post("/{point_id}/cover/offers/{offer_id}/cancel")
def cancel_offer(
    request: Request,
    *,
    offer_id: PathId,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
) -> Response:
    """Take one's own offer back."""
    offer = swaps.get_offer(session, point, offer_id)
    return _do(
        request,
        lambda: swaps.cancel(session, offer, volunteer, now=now),
        "Your offer is withdrawn; the seat stays yours.",
        point=point,
        staff=staff,
        session=session,
        now=now,
    )


@router.post("/{point_id}/cover/preferences")
def change_preferences(
    request: Request,
    *,
    point: ConsolePoint,
    volunteer: ConsoleVolunteer,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """How reminders and cover requests reach the volunteer, and whether they are asked."""
    raw = {"notify_by": fields.get("notify_by", ""), "cover_requests": "cover_requests" in fields}
    data, errors = forms.validate(PreferencesUpdate, raw)
    if data is None:
        context = _context(session, point, staff, now)
        raise reject_form(request, TEMPLATE, context, errors, staff=staff)
    cover_people.change_preferences(session, volunteer, data=data.model_dump(exclude_unset=True))
    flash(request, "Your settings are saved.")
    return redirect(cover_path(point.id))


@router.post("/{point_id}/cover/settings")
def change_settings(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """The cover deadline and the unfilled-shift alert (coordinators)."""
    picked = forms.pick(fields, "cover_deadline_minutes", "unfilled_alert_days")
    data, errors = forms.validate(CoverSettings, picked)
    if data is None:
        context = {**_context(session, point, staff, now), "values": fields}
        raise reject_form(request, TEMPLATE, context, errors, staff=staff)
    changes = data.model_dump(exclude_unset=True)
    cover_people.change_settings(session, point, actor=staff, data=changes)
    flash(request, "The cover settings are saved.")
    return redirect(cover_path(point.id))
