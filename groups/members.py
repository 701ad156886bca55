"""Referrals, approval and the membership lifecycle (the service half that touches people)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from auth.models import Role, Staff
from core import audit, pii, security
from core.database import paginate
from groups import service as groups_service
from groups.exceptions import (
    AlreadyDecided,
    AlreadyMember,
    GroupFull,
    InvalidMembershipState,
    MembershipNotFound,
    ReferralNotFound,
)
from groups.models import (
    SEATED,
    Group,
    Membership,
    MembershipRole,
    MembershipStatus,
    Referral,
    ReferralStatus,
)
from groups.schemas import ReferralCreate
from notifications import notices
from notifications.exceptions import NoContact, SmsOptedOut
from notifications.models import OutboxMessage

# --- referrals ----------------------------------------------------------------------------------


def create_referral(
    session: Session, *, actor: Staff, data: ReferralCreate, now: datetime
) -> Referral:
    group = groups_service.get_group(session, data.group_id)
    phone_index = pii.phone_index(data.phone)
    previous = list(
        session.scalars(
            select(Membership.status).where(
                Membership.group_id == group.id, Membership.phone_index == phone_index
            )
        )
    )
    referral = Referral(
        group_id=group.id,
        alias=data.alias,
        phone=data.phone,
        phone_index=phone_index,
        email=data.email,
        language=data.language.value,
        consent_at=now,
        note=data.note,
        referred_by_id=actor.id,
        flag_already_member=any(status in SEATED for status in previous),
        flag_previously_ejected=MembershipStatus.ejected in previous,
    )
    session.add(referral)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="referral.create",
        target_type="referral",
        target_id=referral.id,
        group_id=group.id,
        details={"flags": _flags(referral)},
    )
    notices.on_referral_created(session, referral=referral, now=now)
    return referral


def _flags(referral: Referral) -> list[str]:
    flags = []
    if referral.flag_already_member:
        flags.append("already_member")
    if referral.flag_previously_ejected:
        flags.append("previously_ejected")
    return flags


def decides_on(session: Session, *, staff: Staff, referral: Referral) -> bool:
    """Whether ``staff`` decides on ``referral``: a moderator of its group, or an admin.

    Only they may see its flags: to anyone else who may file a referral, the flags would answer
    "is this phone number in that group?".
    """
    if staff.role is Role.helper:
        return False
    return groups_service.can_moderate(session, staff=staff, group_id=referral.group_id)


def get_referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise ReferralNotFound()
    return referral


def list_referrals(
    session: Session,
    *,
    group_ids: set[int] | None,
    status: ReferralStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Referral], int]:
    query = select(Referral)
    if group_ids is not None:
        query = query.where(Referral.group_id.in_(group_ids))
    if status is not None:
        query = query.where(Referral.status == status)
    return paginate(session, query, Referral.created_at, Referral.id, limit=limit, offset=offset)


def approve_referral(
    session: Session, *, actor: Staff, referral: Referral, now: datetime
) -> groups_service.Credentials:
    """Create the membership and its credentials; the PIN is returned once and never stored."""
    if referral.status is not ReferralStatus.pending:
        raise AlreadyDecided(referral.status.value)
    group = session.get_one(Group, referral.group_id)
    if referral.phone_index is not None and session.scalar(
        select(Membership.id).where(
            Membership.group_id == group.id,
            Membership.phone_index == referral.phone_index,
            Membership.status.in_(SEATED),
        )
    ):
        raise AlreadyMember()
    if groups_service.count_members(session, group.id) >= group.capacity:
        raise GroupFull(group.capacity)
    membership = Membership(
        group_id=group.id,
        role=MembershipRole.member,
        ref=groups_service.new_ref(),
        referral_id=referral.id,
        alias=referral.alias,
        phone=referral.phone,
        phone_index=referral.phone_index,
        email=referral.email,
        language=referral.language,
    )
    session.add(membership)
    referral.status = ReferralStatus.approved
    referral.decided_by_id = actor.id
    referral.decided_at = now
    session.flush()
    credentials = groups_service.issue_credentials(session, membership)
    audit.record(
        session,
        actor_id=actor.id,
        action="referral.approve",
        target_type="referral",
        target_id=referral.id,
        group_id=group.id,
        details={"membership_id": membership.id},
    )
    notices.on_member_approved(session, membership=membership, pin=credentials.pin, now=now)
    return credentials


def membership_of_referral(session: Session, referral: Referral) -> Membership | None:
    """The membership an approved referral created; None before approval."""
    return session.scalar(select(Membership).where(Membership.referral_id == referral.id))


def reject_referral(
    session: Session, *, actor: Staff, referral: Referral, reason: str | None, now: datetime
) -> Referral:
    if referral.status is not ReferralStatus.pending:
        raise AlreadyDecided(referral.status.value)
    referral.status = ReferralStatus.rejected
    referral.decided_by_id = actor.id
    referral.decided_at = now
    referral.decision_reason = reason
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="referral.reject",
        target_type="referral",
        target_id=referral.id,
        group_id=referral.group_id,
    )
    return referral


# --- memberships --------------------------------------------------------------------------------


def get_membership(session: Session, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise MembershipNotFound()
    return membership


# The dial-in path needs status, role and PIN hash, never contact data: leaving the encrypted
# columns unloaded saves four decryptions per lookup (they load on first access if ever needed).
WITHOUT_CONTACT = (
    defer(Membership.alias),
    defer(Membership.phone),
    defer(Membership.email),
    defer(Membership.participant_number),
)


def find_by_participant_number(session: Session, participant_number: str) -> Membership | None:
    """The dial-in lookup: through the blind index, never by decrypting."""
    index = pii.blind_index("participant", participant_number)
    query = select(Membership).where(Membership.participant_number_index == index)
    return session.scalar(query.options(*WITHOUT_CONTACT))


def list_memberships(
    session: Session,
    *,
    group_id: int,
    status: MembershipStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Membership], int]:
    query = select(Membership).where(Membership.group_id == group_id)
    if status is not None:
        query = query.where(Membership.status == status)
    order = (Membership.role.desc(), Membership.id)
    return paginate(session, query, *order, limit=limit, offset=offset)


def _record(session: Session, actor: Staff, action: str, membership: Membership) -> None:
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        target_type="membership",
        target_id=membership.id,
        group_id=membership.group_id,
    )


def _require(membership: Membership, allowed: tuple[MembershipStatus, ...], action: str) -> None:
    if membership.status not in allowed:
        raise InvalidMembershipState(
            f"cannot {action} a membership that is {membership.status.value}"
        )


def reset_pin(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> groups_service.Credentials:
    """A new temporary PIN (the number stays); the member chooses their own on the next call.

    A member with a phone also gets it by SMS.
    """
    participant_number, pin = _new_temporary_pin(session, actor, membership)
    if membership.phone is not None:
        notices.send_pin(session, membership=membership, pin=pin, now=now)
    return groups_service.Credentials(membership, participant_number, pin)


def resend_pin(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> OutboxMessage:
    """A new temporary PIN, by SMS only: the moderator never sees it. Returns its message."""
    if membership.phone is None:
        raise NoContact("this member has no phone number to send a PIN to")
    if notices.sms_opted_out(session, membership):
        raise SmsOptedOut(
            "this member replied STOP, so no SMS reaches them; use Reset PIN, which shows the "
            "new PIN to you to pass on"
        )
    _, pin = _new_temporary_pin(session, actor, membership)
    return notices.send_pin(session, membership=membership, pin=pin, now=now)


def _new_temporary_pin(session: Session, actor: Staff, membership: Membership) -> tuple[str, str]:
    """Replace the PIN with a temporary one; (participant number, PIN)."""
    _require(membership, SEATED, "reset the PIN of")
    if membership.participant_number is None:
        raise InvalidMembershipState("this membership has no credentials")
    pin = groups_service.new_credentials(session)[2]
    membership.pin_hash = security.hash_secret(pin)
    membership.pin_is_temporary = True
    membership.locked_until = None
    session.flush()
    _record(session, actor, "membership.reset_pin", membership)
    return membership.participant_number, pin


def unlock(session: Session, *, actor: Staff, membership: Membership) -> Membership:
    """Lift a lockout. The count of wrong PINs is afresh: the lockout set the earlier ones
    aside, and tries during it counted for the caller only (``conference.service``)."""
    membership.locked_until = None
    session.flush()
    _record(session, actor, "membership.unlock", membership)
    return membership


def suspend(session: Session, *, actor: Staff, membership: Membership, now: datetime) -> Membership:
    _require(membership, (MembershipStatus.active,), "suspend")
    membership.status = MembershipStatus.suspended
    membership.status_changed_at = now
    session.flush()
    _record(session, actor, "membership.suspend", membership)
    return membership


def reinstate(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> Membership:
    _require(membership, (MembershipStatus.suspended,), "reinstate")
    membership.status = MembershipStatus.active
    membership.status_changed_at = now
    session.flush()
    _record(session, actor, "membership.reinstate", membership)
    return membership


def eject(session: Session, *, actor: Staff, membership: Membership, now: datetime) -> Membership:
    """Remove for good: credentials stop working at once; a new referral of the phone is flagged."""
    _require(membership, SEATED, "eject")
    if membership.role is not MembershipRole.member:
        raise InvalidMembershipState("moderators are removed from a group, not ejected")
    membership.status = MembershipStatus.ejected
    membership.status_changed_at = now
    session.flush()
    _record(session, actor, "membership.eject", membership)
    return membership


def erase(session: Session, *, actor: Staff, membership: Membership, now: datetime) -> Membership:
    """Destroy contact data and credentials; the row (and its anonymous attendance) remains."""
    if membership.status is MembershipStatus.erased:
        raise InvalidMembershipState("this membership is already erased")
    if membership.role is not MembershipRole.member:
        raise InvalidMembershipState("moderators are removed from a group, not erased")
    phone_index = membership.phone_index
    if phone_index is not None and _pending_referral(session, membership.group_id, phone_index):
        # Erasing would leave the person's contact data in the waiting referral, or destroy a
        # request someone made for them: the moderator decides it first.
        raise InvalidMembershipState(
            "a referral for this member's phone number is waiting in this group: approve or "
            "reject it first, then erase"
        )
    for field in (
        "alias",
        "phone",
        "phone_index",
        "email",
        "participant_number",
        "participant_number_index",
        "pin_hash",
        "locked_until",
    ):
        setattr(membership, field, None)
    membership.status = MembershipStatus.erased
    membership.status_changed_at = now
    for referral in _referrals_of(session, membership, phone_index):
        for field in ("alias", "phone", "phone_index", "email", "note", "decision_reason"):
            setattr(referral, field, None)
    session.flush()
    _record(session, actor, "membership.erase", membership)
    return membership


def _pending_referral(session: Session, group_id: int, phone_index: str) -> bool:
    query = select(Referral.id).where(
        Referral.group_id == group_id,
        Referral.phone_index == phone_index,
        Referral.status == ReferralStatus.pending,
    )
    return session.scalar(query.limit(1)) is not None


def _referrals_of(
    session: Session, membership: Membership, phone_index: str | None
) -> list[Referral]:
    """The referral that led to the membership and every decided one for the same phone there."""
    found: set[int] = set()
    if membership.referral_id is not None:
        found.add(membership.referral_id)
    if phone_index is not None:
        found |= set(
            session.scalars(
                select(Referral.id).where(
                    Referral.group_id == membership.group_id,
                    Referral.phone_index == phone_index,
                    Referral.status != ReferralStatus.pending,
                )
            )
        )
    return [session.get_one(Referral, referral_id) for referral_id in sorted(found)]


def reveal_contact(session: Session, *, actor: Staff, membership: Membership) -> Membership:
    """Contact data is shown on an explicit request only, and every such view is audited."""
    if membership.status is MembershipStatus.erased:
        raise InvalidMembershipState("this membership is erased; no contact data is left")
    _record(session, actor, "membership.view_contact", membership)
    return membership
