"""The staff console under ``/console``: sign-in, sign-out and the start page.

Every route of the console (also those in the ``*_pages`` modules included below) runs behind
``check_csrf``: a form post without the session's token is refused before any handler sees it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from auth import service as auth_service
from auth.exceptions import InvalidCredentials, LoginThrottled
from auth.models import Role
from console import (
    admin_pages,
    delivery_pages,
    group_pages,
    helpline_admin_pages,
    helpline_checkin_pages,
    helpline_cover_pages,
    helpline_figures_pages,
    helpline_pages,
    helpline_rota_pages,
    helpline_setup_pages,
    helpline_voicemail_pages,
    live_pages,
    member_pages,
    missing_pages,
    referral_pages,
    views,
)
from console.dependencies import (
    ConsoleStaff,
    FormFields,
    check_csrf,
    get_console_viewer,
    sign_in,
    sign_out,
)
from console.rendering import PREFIX, flash, ngettext, redirect, reject_form, render
from core.clock import Now
from core.database import SessionDep
from core.settings import get_settings
from core.work import ClientAddress, WorkDep
from helpline import service as helpline_service

# Who is signed in is known before the CSRF check, so that its refusal too is a page with the
# navigation (dependencies run in this order; the endpoints' ConsoleStaff reuses the answer).
router = APIRouter(
    prefix=PREFIX,
    include_in_schema=False,
    dependencies=[Depends(get_console_viewer), Depends(check_csrf)],
)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return render(request, "login.html")


@router.post("/login")
async def login(
    request: Request, fields: FormFields, work: WorkDep, client: ClientAddress, now: Now
) -> Response:
    """Check the username and password (throttled per account) and start a session."""
    username = fields.get("username", "").strip()
    password = fields.get("password", "")
    context = {"username": username}
    if not username or not password:
        errors = {name: "this field is required" for name in ("username", "password")}
        errors = {name: errors[name] for name in errors if not fields.get(name, "").strip()}
        raise reject_form(request, "login.html", context, errors, staff=None)
    try:
        staff = await auth_service.log_in(
            work, username=username, password=password, client=client, now=now
        )
    except InvalidCredentials:
        # Returned, not raised: the failed attempt must be committed for the throttle to count it.
        error = "That username and password do not match. Please check them and try again."
        return render(request, "login.html", {**context, "error": error}, status_code=401)
    except LoginThrottled:
        minutes = get_settings().login_failure_window_minutes
        pause = ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
        error = (
            "There were too many unsuccessful attempts to sign in to this account, so signing in "
            f"is paused for up to {pause} to keep it safe. Please take a break and try "
            "again later. If you have forgotten your password, a coordinator can set a new one."
        )
        return render(request, "login.html", {**context, "error": error}, status_code=429)
    sign_in(request, staff, now=now)
    return redirect(f"{PREFIX}/")


@router.post("/logout")
def logout(request: Request, session: SessionDep, now: Now) -> Response:
    """End the session, also for any copy of its cookie."""
    sign_out(request, session, now=now)
    flash(request, "You are signed out.")
    return redirect(f"{PREFIX}/login")


@router.get("")
@router.get("/")
def home(request: Request, staff: ConsoleStaff, session: SessionDep, now: Now) -> Response:
    """My groups: next meetings, pending referrals and members of each."""
    if staff.role is Role.helper:
        # A helper's work is the helpline's duty if they have a place there, else referring.
        if helpline_service.takes_part(session, staff):
            return redirect(f"{PREFIX}/helpline")
        return redirect(f"{PREFIX}/referrals/new")
    cards = views.my_groups(session, staff=staff, now=now)
    return render(request, "home.html", {"cards": cards}, staff=staff)


PAGES = (
    group_pages.router,
    live_pages.router,
    delivery_pages.router,
    member_pages.router,
    referral_pages.router,
    admin_pages.router,
    helpline_setup_pages.router,  # before helpline_pages: "/helpline/new" is not a contact point
    helpline_pages.router,
    helpline_rota_pages.router,
    helpline_admin_pages.router,
    helpline_figures_pages.router,
    helpline_checkin_pages.router,
    helpline_voicemail_pages.router,
    helpline_cover_pages.router,
)
for pages in PAGES:
    router.include_router(pages)
# Last: what no route above answers (it is told them all, to find the page of a form's address).
router.include_router(missing_pages.last_router(router, PAGES))
