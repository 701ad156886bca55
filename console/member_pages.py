"""A member's page and the moderator's actions on it; contact data only on an audited click."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.dependencies import ConsoleMembership, ConsoleModerator
from console.rendering import PREFIX, flash, redirect, render
from core.clock import Now
from core.database import SessionDep
from groups import members as members_service
from groups import service as groups_service
from groups.views import credentials_read

router = APIRouter()


def _member_path(membership_id: int) -> str:
    return f"{PREFIX}/memberships/{membership_id}"


def _group_path(group_id: int) -> str:
    return f"{PREFIX}/groups/{group_id}"


@router.get("/memberships/{membership_id}")
def member_page(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, now: Now
) -> Response:
    """One member: status, credentials state and the actions a moderator can take."""
    locked = membership.locked_until is not None and membership.locked_until > now
    context = {"membership": membership, "locked": locked}
    return render(request, "member.html", context, staff=staff)


@router.post("/memberships/{membership_id}/contact")
def reveal_contact(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, session: SessionDep
) -> Response:
    """Show the member's phone and e-mail; the view is written to the audit log."""
    membership = members_service.reveal_contact(session, actor=staff, membership=membership)
    return render(request, "contact.html", {"membership": membership}, staff=staff)


@router.post("/memberships/{membership_id}/reset-pin")
def reset_pin(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, session: SessionDep
) -> Response:
    """Issue a new temporary PIN, shown on this page only."""
    credentials = members_service.reset_pin(session, actor=staff, membership=membership)
    group = groups_service.get_group(session, membership.group_id)
    context = {"credentials": credentials_read(credentials, group), "group": group, "kind": "pin"}
    return render(request, "credentials.html", context, staff=staff)


@router.post("/memberships/{membership_id}/unlock")
def unlock(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, session: SessionDep
) -> Response:
    """Lift a lockout after repeated wrong PINs."""
    members_service.unlock(session, actor=staff, membership=membership)
    flash(request, "Unlocked: the member can dial in again.")
    return redirect(_member_path(membership.id))


@router.post("/memberships/{membership_id}/suspend")
def suspend(
    request: Request,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Suspend: no dial-in and no reminders until reinstated."""
    members_service.suspend(session, actor=staff, membership=membership, now=now)
    flash(request, "Suspended: the member cannot dial in and gets no reminders until reinstated.")
    return redirect(_member_path(membership.id))


@router.post("/memberships/{membership_id}/reinstate")
def reinstate(
    request: Request,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Reinstate a suspended member."""
    members_service.reinstate(session, actor=staff, membership=membership, now=now)
    flash(request, "Reinstated: the member can dial in again.")
    return redirect(_member_path(membership.id))


@router.get("/memberships/{membership_id}/eject")
def eject_page(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator
) -> Response:
    """Confirm an ejection, which is permanent."""
    return render(
        request, "confirm.html", {"membership": membership, "action": "eject"}, staff=staff
    )


@router.post("/memberships/{membership_id}/eject")
def eject(
    request: Request,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Eject for good: the credentials stop working at once."""
    members_service.eject(session, actor=staff, membership=membership, now=now)
    flash(request, "Ejected for good. The credentials no longer work.")
    return redirect(_group_path(membership.group_id))


@router.get("/memberships/{membership_id}/erase")
def erase_page(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator
) -> Response:
    """Confirm an erasure."""
    return render(
        request, "confirm.html", {"membership": membership, "action": "erase"}, staff=staff
    )


@router.post("/memberships/{membership_id}/erase")
def erase(
    request: Request,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Erase contact data and credentials; anonymous attendance statistics stay."""
    members_service.erase(session, actor=staff, membership=membership, now=now)
    flash(request, "Erased. Contact data and credentials are destroyed.")
    return redirect(_group_path(membership.group_id))
