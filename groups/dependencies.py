"""Dependencies that load a group-scoped record and check the caller moderates its group.

The rule, once for the whole API: a role that can never do something gets 403; a record outside
the caller's groups gets 404, exactly as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth.dependencies import CurrentStaff
from auth.exceptions import RoleRequired
from auth.models import Role, Staff
from core.database import SessionDep
from core.schemas import PathId
from groups import meetings, service
from groups import members as members_service
from groups.exceptions import GroupNotFound, MeetingNotFound, MembershipNotFound, ReferralNotFound
from groups.models import Group, Meeting, Membership, Referral


def get_moderating_staff(staff: CurrentStaff) -> Staff:
    if staff.role is Role.helper:
        raise RoleRequired("see groups, meetings or members (helpers can file referrals)")
    return staff


ModeratingStaff = Annotated[Staff, Depends(get_moderating_staff)]


def get_moderated_group(group_id: PathId, session: SessionDep, staff: ModeratingStaff) -> Group:
    group = service.get_group(session, group_id)
    if not service.can_moderate(session, staff=staff, group_id=group.id):
        raise GroupNotFound()
    return group


def get_moderated_meeting(
    meeting_id: PathId, session: SessionDep, staff: ModeratingStaff
) -> Meeting:
    meeting = meetings.get_meeting(session, meeting_id)
    if not service.can_moderate(session, staff=staff, group_id=meeting.group_id):
        raise MeetingNotFound()
    return meeting


def get_moderated_referral(
    referral_id: PathId, session: SessionDep, staff: ModeratingStaff
) -> Referral:
    referral = members_service.get_referral(session, referral_id)
    if not service.can_moderate(session, staff=staff, group_id=referral.group_id):
        raise ReferralNotFound()
    return referral


def get_moderated_membership(
    membership_id: PathId, session: SessionDep, staff: ModeratingStaff
) -> Membership:
    membership = members_service.get_membership(session, membership_id)
    if not service.can_moderate(session, staff=staff, group_id=membership.group_id):
        raise MembershipNotFound()
    return membership


ModeratedGroup = Annotated[Group, Depends(get_moderated_group)]


def get_group_membership(
    membership_id: PathId, group: ModeratedGroup, session: SessionDep
) -> Membership:
    """A membership addressed under its group's path: it must belong to that group."""
    membership = members_service.get_membership(session, membership_id)
    if membership.group_id != group.id:
        raise MembershipNotFound()
    return membership


GroupMembership = Annotated[Membership, Depends(get_group_membership)]
ModeratedMeeting = Annotated[Meeting, Depends(get_moderated_meeting)]
ModeratedReferral = Annotated[Referral, Depends(get_moderated_referral)]
ModeratedMembership = Annotated[Membership, Depends(get_moderated_membership)]
