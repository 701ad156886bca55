"""Who is signed in to the console, the CSRF check every form passes, and the group-scoped loaders.

The loaders wrap ``groups.dependencies`` and ``auth.dependencies`` so the console applies exactly
the API's rule (403 for a role that can never do it, 404 for records outside the caller's groups);
only the way the caller is identified differs: a session cookie instead of a bearer token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from auth import dependencies as auth_dependencies
from auth import service as auth_service
from auth.exceptions import InvalidToken
from auth.models import Role, Staff
from console.exceptions import CsrfRefused, SignInRequired
from core.clock import Now
from core.database import SessionDep
from core.schemas import PathId
from groups import dependencies as group_dependencies
from groups.models import Group, Meeting, Membership, Referral
from helpline import dependencies as helpline_dependencies
from helpline import service as helpline_service
from helpline.models import ContactPoint, Volunteer

SESSION_TOKEN = "token"  # noqa: S105 - the session key's name, not a secret
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (also before sign-in: the login form)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse every unsafe request whose form does not carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_CSRF)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str):
        raise CsrfRefused()
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused()


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form as plain strings, without the CSRF token (already checked)."""
    form = await request.form()
    return {
        key: value for key, value in form.items() if isinstance(value, str) and key != CSRF_FIELD
    }


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def sign_in(request: Request, staff: Staff | auth_service.Authenticated, *, now: datetime) -> None:
    """Start a fresh session (a new CSRF token too, so a planted session is worthless)."""
    request.session.clear()
    session_id = auth_service.new_session_id()
    token = auth_service.issue_token(staff, now=now, session_id=session_id).access_token
    request.session[SESSION_TOKEN] = token
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request, session: Session, *, now: datetime) -> None:
    """End the session here and for every copy of its cookie (the server refuses its tokens)."""
    token = request.session.get(SESSION_TOKEN)
    session_id = auth_service.session_of(token) if isinstance(token, str) else None
    if session_id is not None:
        auth_service.revoke_session(session, session_id, now=now)
    request.session.clear()


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as the page header shows it. Kept apart from the database row: an error
    page is rendered after its unit of work rolled back, when the row can no longer be read."""

    username: str
    role: Role
    helpline: bool = False  # an admin, or a coordinator or volunteer of a contact point


VIEWER = "console_viewer"  # where a request keeps its Viewer (request.state)
SIGN_IN_PATH = "/console/login"


def get_console_viewer(request: Request, session: SessionDep, now: Now) -> Staff | None:
    """The signed-in staff member, or None; the session holds a token that expires when left
    idle. Every console request asks first (a dependency of the router), so that any page, an
    error page too, shows who is signed in with the navigation and Sign out."""
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str) or request.url.path == SIGN_IN_PATH:
        # Not asked on the sign-in page: its form verifies a password with no transaction open
        # (auth_service.log_in), and a look-up here would open one for the whole request.
        return None
    # A token without a session (issued before sign-out could revoke sessions) cannot be
    # signed out: it is not renewed, its holder signs in once more.
    session_id = auth_service.session_of(token)
    try:
        if session_id is None:
            raise InvalidToken()
        staff = auth_service.staff_from_token(session, token, now=now)
    except InvalidToken:
        # Kept in the cookie, not dropped: signing out of a tab that timed out still ends the
        # copies of its session that kept themselves alive (auth_service.session_of).
        return None
    # Sliding expiry: a moderator busy running a meeting is not signed out in the middle of it.
    renewed = auth_service.issue_token(staff, now=now, session_id=session_id)
    request.session[SESSION_TOKEN] = renewed.access_token
    on_helpline = helpline_service.takes_part(session, staff)
    setattr(request.state, VIEWER, Viewer(staff.username, staff.role, on_helpline))
    return staff


ConsoleViewer = Annotated[Staff | None, Depends(get_console_viewer)]


def viewer_of(request: Request) -> Viewer | None:
    """Who is signed in, for a page rendered where no dependency runs (an error handler)."""
    viewer = getattr(request.state, VIEWER, None)
    return viewer if isinstance(viewer, Viewer) else None


def get_console_staff(viewer: ConsoleViewer) -> Staff:
    """The signed-in staff member; without one the console answers with the sign-in page."""
    if viewer is None:
        raise SignInRequired()
    return viewer


ConsoleStaff = Annotated[Staff, Depends(get_console_staff)]


def get_console_admin(staff: ConsoleStaff) -> Staff:
    return auth_dependencies.get_admin(staff)


def get_console_moderator(staff: ConsoleStaff) -> Staff:
    return group_dependencies.get_moderating_staff(staff)


ConsoleAdmin = Annotated[Staff, Depends(get_console_admin)]
ConsoleModerator = Annotated[Staff, Depends(get_console_moderator)]


def get_group(group_id: PathId, session: SessionDep, staff: ConsoleModerator) -> Group:
    return group_dependencies.get_moderated_group(group_id, session, staff)


def get_meeting(meeting_id: PathId, session: SessionDep, staff: ConsoleModerator) -> Meeting:
    return group_dependencies.get_moderated_meeting(meeting_id, session, staff)


def get_referral(referral_id: PathId, session: SessionDep, staff: ConsoleModerator) -> Referral:
    return group_dependencies.get_moderated_referral(referral_id, session, staff)


def get_membership(
    membership_id: PathId, session: SessionDep, staff: ConsoleModerator
) -> Membership:
    return group_dependencies.get_moderated_membership(membership_id, session, staff)


ConsoleGroup = Annotated[Group, Depends(get_group)]
ConsoleMeeting = Annotated[Meeting, Depends(get_meeting)]
ConsoleReferral = Annotated[Referral, Depends(get_referral)]
ConsoleMembership = Annotated[Membership, Depends(get_membership)]


# The helpline's contact points: the API's rule, a 404 for one the caller neither coordinates
# nor serves at, a 403 for a coordinator's action asked by one of its volunteers.


def get_point(point_id: PathId, session: SessionDep, staff: ConsoleStaff) -> ContactPoint:
    return helpline_dependencies.get_visible_point(point_id, session, staff)


ConsolePoint = Annotated[ContactPoint, Depends(get_point)]


def get_coordinated_point(
    point: ConsolePoint, session: SessionDep, staff: ConsoleStaff
) -> ContactPoint:
    return helpline_dependencies.get_coordinated_point(point, session, staff)


def get_own_volunteer(point: ConsolePoint, session: SessionDep, staff: ConsoleStaff) -> Volunteer:
    return helpline_dependencies.get_own_volunteer(point, session, staff)


ConsoleCoordinatedPoint = Annotated[ContactPoint, Depends(get_coordinated_point)]
ConsoleVolunteer = Annotated[Volunteer, Depends(get_own_volunteer)]
