"""Groups, lines, meetings, referrals and memberships: the JSON API (rules live in services)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from auth.dependencies import AdminStaff, CurrentStaff
from conference import controls as conference_controls
from conference.dependencies import Control as ConferenceControlDep
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS, error_responses
from core.schemas import Page, PageParams
from groups import export, meetings, service
from groups import members as members_service
from groups.dependencies import (
    GroupMembership,
    ModeratedGroup,
    ModeratedMeeting,
    ModeratedMembership,
    ModeratedReferral,
    ModeratingStaff,
)
from groups.models import MembershipStatus, ReferralStatus
from groups.schemas import (
    ApprovalRead,
    ContactRead,
    CredentialsRead,
    GroupBrief,
    GroupCreate,
    GroupRead,
    GroupUpdate,
    LineCreate,
    LineRead,
    MeetingMove,
    MeetingRead,
    MeetingTopic,
    MemberCopyRead,
    MembershipRead,
    ModeratorAssign,
    ReferralCreate,
    ReferralRead,
    ReferralReject,
)
from groups.views import credentials_read, group_read, meeting_read, referral_read
from notifications import notices

router = APIRouter(prefix="/api/v1", tags=["groups"], responses=API_ERRORS)
Paging = Annotated[PageParams, Depends()]


@router.post("/lines", response_model=LineRead, status_code=status.HTTP_201_CREATED)
def create_line(data: LineCreate, session: SessionDep, admin: AdminStaff) -> object:
    """Register a phone line of the organisation (admins)."""
    return service.create_line(session, actor=admin, data=data)


@router.get("/lines", response_model=list[LineRead])
def list_lines(session: SessionDep, _admin: AdminStaff) -> object:
    """List the organisation's phone lines (admins)."""
    return service.list_lines(session)


@router.post("/groups", response_model=GroupRead, status_code=status.HTTP_201_CREATED)
def create_group(data: GroupCreate, session: SessionDep, admin: AdminStaff, now: Now) -> object:
    """Create a group with its weekly schedule; meetings are planned ahead at once (admins)."""
    group = service.create_group(session, actor=admin, data=data, now=now)
    return group_read(session, group, now)


@router.get("/groups", response_model=Page[GroupRead])
def list_groups(session: SessionDep, staff: ModeratingStaff, paging: Paging, now: Now) -> object:
    """Groups the caller moderates (admins: all groups)."""
    groups, total = service.list_groups(
        session, staff=staff, limit=paging.limit, offset=paging.offset
    )
    items = [group_read(session, group, now) for group in groups]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/groups/directory", response_model=list[GroupBrief])
def group_directory(session: SessionDep, _staff: CurrentStaff) -> object:
    """Every active group, name and language only: what a helper needs to file a referral."""
    return service.directory(session)


@router.get("/groups/{group_id}", response_model=GroupRead)
def get_group(group: ModeratedGroup, session: SessionDep, now: Now) -> object:
    """One group with its schedule, lines, moderators and counts."""
    return group_read(session, group, now)


@router.patch("/groups/{group_id}", response_model=GroupRead)
def update_group(
    data: GroupUpdate, admin: AdminStaff, group: ModeratedGroup, session: SessionDep, now: Now
) -> object:
    """Change a group; a schedule change re-plans future meetings only (admins)."""
    group = service.update_group(session, actor=admin, group=group, data=data, now=now)
    return group_read(session, group, now)


@router.post(
    "/groups/{group_id}/moderators",
    response_model=CredentialsRead,
    status_code=status.HTTP_201_CREATED,
)
def assign_moderator(
    data: ModeratorAssign, admin: AdminStaff, group: ModeratedGroup, session: SessionDep
) -> object:
    """Make a staff member moderator of the group; returns their dial-in credentials (admins)."""
    credentials = service.assign_moderator(
        session, actor=admin, group=group, staff_id=data.staff_id
    )
    return credentials_read(credentials, group)


@router.delete("/groups/{group_id}/moderators/{membership_id}", response_model=MembershipRead)
def remove_moderator(
    admin: AdminStaff, membership: GroupMembership, session: SessionDep, now: Now
) -> object:
    """End a moderator's assignment to the group (admins)."""
    return service.remove_moderator(session, actor=admin, membership=membership, now=now)


@router.get("/groups/{group_id}/meetings", response_model=Page[MeetingRead])
def list_meetings(group: ModeratedGroup, session: SessionDep, paging: Paging, now: Now) -> object:
    """Upcoming and running meetings of the group, soonest first."""
    found, total = meetings.list_meetings(
        session, group_id=group.id, since=now, limit=paging.limit, offset=paging.offset
    )
    items = [meeting_read(meeting, group) for meeting in found]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingRead)
def cancel_meeting(
    meeting: ModeratedMeeting, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Cancel one future meeting; members get a notice instead of the reminder."""
    meeting = meetings.cancel_meeting(session, actor=staff, meeting=meeting, now=now)
    return meeting_read(meeting, meeting.group)


@router.post("/meetings/{meeting_id}/move", response_model=MeetingRead)
def move_meeting(
    data: MeetingMove,
    meeting: ModeratedMeeting,
    session: SessionDep,
    staff: ModeratingStaff,
    now: Now,
) -> object:
    """Move one future meeting to another time."""
    meeting = meetings.move_meeting(
        session, actor=staff, meeting=meeting, starts_at=data.starts_at, now=now
    )
    return meeting_read(meeting, meeting.group)


@router.put("/meetings/{meeting_id}/topic", response_model=MeetingRead)
def set_topic(
    data: MeetingTopic, meeting: ModeratedMeeting, session: SessionDep, staff: ModeratingStaff
) -> object:
    """Set (or clear) the moderator's topic for one meeting."""
    meeting = meetings.set_topic(session, actor=staff, meeting=meeting, topic=data.topic)
    return meeting_read(meeting, meeting.group)


@router.post("/referrals", response_model=ReferralRead, status_code=status.HTTP_201_CREATED)
def create_referral(
    data: ReferralCreate, session: SessionDep, staff: CurrentStaff, now: Now
) -> object:
    """File a join request for a caller (helpers, moderators, admins)."""
    referral = members_service.create_referral(session, actor=staff, data=data, now=now)
    return referral_read(session, referral, viewer=staff)


@router.get("/referrals", response_model=Page[ReferralRead])
def list_referrals(
    session: SessionDep,
    staff: ModeratingStaff,
    paging: Paging,
    status_filter: Annotated[ReferralStatus | None, Query(alias="status")] = ReferralStatus.pending,
) -> object:
    """The referral queue of the caller's groups (pending by default)."""
    items, total = members_service.list_referrals(
        session,
        group_ids=service.moderated_group_ids(session, staff),
        status=status_filter,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/referrals/{referral_id}", response_model=ReferralRead)
def get_referral(referral: ModeratedReferral) -> object:
    """One referral of the caller's groups."""
    return referral


@router.post("/referrals/{referral_id}/approve", response_model=ApprovalRead)
def approve_referral(
    referral: ModeratedReferral, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Approve: creates the membership; the credentials are in this response and nowhere else."""
    credentials = members_service.approve_referral(session, actor=staff, referral=referral, now=now)
    group = service.get_group(session, referral.group_id)
    return ApprovalRead(
        referral=ReferralRead.model_validate(referral),
        credentials=credentials_read(credentials, group),
    )


@router.post("/referrals/{referral_id}/reject", response_model=ReferralRead)
def reject_referral(
    data: ReferralReject,
    referral: ModeratedReferral,
    session: SessionDep,
    staff: ModeratingStaff,
    now: Now,
) -> object:
    """Reject a pending referral."""
    return members_service.reject_referral(
        session, actor=staff, referral=referral, reason=data.reason, now=now
    )


@router.get("/groups/{group_id}/memberships", response_model=Page[MembershipRead])
def list_memberships(
    group: ModeratedGroup,
    session: SessionDep,
    paging: Paging,
    status_filter: Annotated[MembershipStatus | None, Query(alias="status")] = None,
) -> object:
    """Members and moderators of the group (aliases; contact data is a separate, audited call)."""
    items, total = members_service.list_memberships(
        session, group_id=group.id, status=status_filter, limit=paging.limit, offset=paging.offset
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/memberships/{membership_id}", response_model=MembershipRead)
def get_membership(membership: ModeratedMembership) -> object:
    """One membership of the caller's groups."""
    return membership


@router.get("/memberships/{membership_id}/contact", response_model=ContactRead)
def reveal_contact(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff
) -> object:
    """Show a member's phone and e-mail; every call is written to the audit log."""
    membership = members_service.reveal_contact(session, actor=staff, membership=membership)
    return ContactRead(
        membership_id=membership.id,
        alias=membership.alias,
        phone=membership.phone,
        email=membership.email,
    )


@router.get("/memberships/{membership_id}/export", response_model=MemberCopyRead)
def export_member_copy(
    membership: ModeratedMembership,
    session: SessionDep,
    staff: ModeratingStaff,
    now: Now,
    response: Response,
) -> object:
    """Everything held about this member, as a JSON download for them (GDPR Art. 15); audited."""
    copy = export.member_copy(session, actor=staff, membership=membership, now=now)
    response.headers.update(export.download_headers(membership))
    return copy


@router.post("/memberships/{membership_id}/reset-pin", response_model=CredentialsRead)
def reset_pin(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Issue a new temporary PIN (shown once, and sent by SMS); the member picks their own next."""
    credentials = members_service.reset_pin(session, actor=staff, membership=membership, now=now)
    return credentials_read(credentials, service.get_group(session, membership.group_id))


@router.post("/memberships/{membership_id}/unlock", response_model=MembershipRead)
def unlock(membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff) -> object:
    """Lift a lockout after repeated wrong PINs."""
    return members_service.unlock(session, actor=staff, membership=membership)


@router.post("/memberships/{membership_id}/suspend", response_model=MembershipRead)
def suspend(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Suspend: the member cannot dial in and gets no reminders until reinstated."""
    return members_service.suspend(session, actor=staff, membership=membership, now=now)


@router.post("/memberships/{membership_id}/reinstate", response_model=MembershipRead)
def reinstate(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Reinstate a suspended member."""
    return members_service.reinstate(session, actor=staff, membership=membership, now=now)


@router.post(
    "/memberships/{membership_id}/eject",
    response_model=MembershipRead,
    responses=error_responses(502),  # the live call could not be ended
)
def eject(
    membership: ModeratedMembership,
    session: SessionDep,
    staff: ModeratingStaff,
    now: Now,
    control: ConferenceControlDep,
) -> object:
    """Eject for good: credentials dead at once, out of any live call; new referrals flagged."""
    return conference_controls.eject_membership(
        session, actor=staff, membership=membership, control=control, now=now
    )


@router.post("/memberships/{membership_id}/erase", response_model=MembershipRead)
def erase(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Erase contact data and credentials; anonymous attendance statistics stay."""
    return members_service.erase(session, actor=staff, membership=membership, now=now)


# Listed with the other deliveries in the API docs, as it has always been: the PIN goes by SMS.
deliveries_router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=API_ERRORS)


@deliveries_router.post(
    "/memberships/{membership_id}/resend-pin",
    response_model=notices.DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def resend_pin(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Issue a new temporary PIN and send it to the member by SMS; nobody else ever sees it."""
    return members_service.resend_pin(session, actor=staff, membership=membership, now=now)
