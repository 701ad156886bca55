"""Referrals: the form every staff member can file, and the moderators' queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console import forms, views
from console.dependencies import ConsoleModerator, ConsoleReferral, ConsoleStaff, FormFields
from console.rendering import PREFIX, flash, redirect, reject_form, render
from core.clock import Now
from core.database import SessionDep
from groups import members as members_service
from groups import service as groups_service
from groups.models import Group, ReferralStatus
from groups.schemas import ReferralCreate, ReferralReject
from groups.views import credentials_read

router = APIRouter()
QUEUE = f"{PREFIX}/referrals"


def _form_context(groups: list[Group], values: dict[str, str]) -> dict[str, Any]:
    return {"groups": groups, "values": values}


@router.get("/referrals/new")
def referral_form(request: Request, staff: ConsoleStaff, session: SessionDep) -> Response:
    """The referral form: a caller's alias, contact data, language and consent."""
    groups = groups_service.directory(session)
    # The group shown first comes with its language, not the first language of the list.
    first = {"group_id": str(groups[0].id), "language": groups[0].language} if groups else {}
    values = {**first, "language_offered": first.get("language", "")}
    return render(request, "referral_form.html", _form_context(groups, values), staff=staff)


@router.post("/referrals")
def file_referral(
    request: Request, staff: ConsoleStaff, fields: FormFields, session: SessionDep, now: Now
) -> Response:
    """File a join request; a moderator of the group reviews it."""
    groups = groups_service.directory(session)
    languages = {str(group.id): group.language for group in groups}
    entered = forms.referral_data(fields, languages)
    data, errors = forms.validate(ReferralCreate, entered)
    if data is None:
        # Shown again with the language the referral would have had, now offered as such.
        language = entered.get("language") or ""
        values = {**fields, "language": language, "language_offered": language}
        context = _form_context(groups, values)
        raise reject_form(request, "referral_form.html", context, errors, staff=staff)
    members_service.create_referral(session, actor=staff, data=data, now=now)
    # The flash lives in the (signed, not encrypted) session cookie: no alias or contact data in it.
    flash(request, "Thank you: the referral is filed. A moderator of the group will review it.")
    return redirect(f"{PREFIX}/referrals/new")


@router.get("/referrals")
def referral_queue(request: Request, staff: ConsoleModerator, session: SessionDep) -> Response:
    """Pending referrals of the caller's groups, with duplicate and ejection flags."""
    items = views.referral_queue(session, staff=staff)
    return render(request, "referrals.html", {"items": items}, staff=staff)


@router.post("/referrals/{referral_id}/approve")
def approve(
    request: Request,
    referral: ConsoleReferral,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Approve: the membership is created and its credentials are shown on this page only."""
    credentials = members_service.approve_referral(session, actor=staff, referral=referral, now=now)
    group = groups_service.get_group(session, referral.group_id)
    context = {
        "credentials": credentials_read(credentials, group),
        "group": group,
        "kind": "member",
        "alias": referral.alias,
    }
    return render(request, "credentials.html", context, staff=staff)


@router.get("/referrals/{referral_id}/approve")
@router.get("/referrals/{referral_id}/reject")
def decided_again(
    request: Request, referral: ConsoleReferral, staff: ConsoleModerator, session: SessionDep
) -> Response:
    """The address of Approve or Reject opened as a page (the approval's result reloaded, the
    browser's history): nothing is done again; back to where the referral is now, told why."""
    if referral.status is ReferralStatus.pending:
        flash(request, "Nothing was done: the referral is still waiting. Use its buttons below.")
        return redirect(f"{QUEUE}#referral-{referral.id}")
    if referral.status is ReferralStatus.rejected:
        flash(request, "This referral was rejected earlier; nothing was changed.")
        return redirect(QUEUE)
    flash(
        request,
        "This referral was approved earlier; nothing was done again. The participant number "
        "and PIN are shown only once: if they were not written down, use Reset the PIN to "
        "show new ones.",
    )
    membership = members_service.membership_of_referral(session, referral)
    if membership is None:
        return redirect(f"{PREFIX}/groups/{referral.group_id}")
    return redirect(f"{PREFIX}/memberships/{membership.id}")


@router.post("/referrals/{referral_id}/reject")
def reject(
    request: Request,
    *,
    referral: ConsoleReferral,
    staff: ConsoleModerator,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Reject a pending referral, with an optional reason for the other moderators."""
    data, errors = forms.validate(ReferralReject, forms.pick(fields, "reason"))
    if data is None:
        items = views.referral_queue(session, staff=staff)
        raise reject_form(request, "referrals.html", {"items": items}, errors, staff=staff)
    members_service.reject_referral(
        session, actor=staff, referral=referral, reason=data.reason, now=now
    )
    flash(request, "The referral is rejected.")
    return redirect(QUEUE)
