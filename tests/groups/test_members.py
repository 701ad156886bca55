"""Referral → approval and the membership lifecycle, through the services."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from core import security
from core.audit import AuditEntry
from groups import members, service
from groups.exceptions import (
    AlreadyDecided,
    AlreadyMember,
    CapacityBelowMembers,
    GroupFull,
    InvalidMembershipState,
)
from groups.models import Group, MembershipStatus, Referral, ReferralStatus
from groups.schemas import GroupUpdate, ReferralCreate
from tests.clock import Clock
from tests.factories import create_group, create_member, create_staff

PHONE = "+48601777001"


def refer(db: Session, group: Group, clock: Clock, phone: str = PHONE) -> Referral:
    return members.create_referral(
        db,
        actor=create_staff(db, Role.helper),
        data=ReferralCreate(
            group_id=group.id,
            alias="Marek",
            phone=phone,
            email="marek@example.org",
            language="pl",
            consent=True,
            note="prefers evenings",
        ),
        now=clock.now(),
    )


def test_a_referral_of_someone_already_in_the_group_is_flagged(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    first = refer(db, group, clock)
    assert not first.flag_already_member and not first.flag_previously_ejected
    create_member(db, group, now=clock.now(), phone="+48 601 777 001")  # same number, spaced
    again = refer(db, group, clock)
    assert again.flag_already_member and not again.flag_previously_ejected
    # Another group does not see it as a member of its own.
    assert not refer(db, create_group(db, now=clock.now()), clock).flag_already_member


def test_a_referral_after_ejection_is_flagged_and_the_number_stops_working(
    db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now(), phone=PHONE)
    members.eject(db, actor=admin, membership=credentials.membership, now=clock.now())
    found = members.find_by_participant_number(db, credentials.participant_number)
    assert found is not None and found.status is MembershipStatus.ejected
    later = refer(db, group, clock)
    assert later.flag_previously_ejected and not later.flag_already_member
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.target_type == "referral", AuditEntry.target_id == later.id
        )
    ).one()
    assert entry.details == {"flags": ["previously_ejected"]}


def test_approval_creates_hashed_credentials(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    referral = refer(db, group, clock)
    moderator = create_staff(db)
    credentials = members.approve_referral(db, actor=moderator, referral=referral, now=clock.now())
    membership = credentials.membership
    assert referral.status is ReferralStatus.approved and referral.decided_by_id == moderator.id
    assert membership.pin_is_temporary and membership.pin_hash is not None
    assert membership.pin_hash.startswith("$argon2id$")
    assert credentials.pin not in membership.pin_hash
    assert security.verify_secret(credentials.pin, membership.pin_hash)
    assert members.find_by_participant_number(db, credentials.participant_number) == membership
    assert (membership.phone, membership.email, membership.alias) == (
        PHONE,
        "marek@example.org",
        "Marek",
    )
    with pytest.raises(AlreadyDecided, match="already approved"):
        members.approve_referral(db, actor=moderator, referral=referral, now=clock.now())


def test_participant_numbers_are_random_and_unique(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now(), capacity=20)
    numbers = [create_member(db, group, now=clock.now()).participant_number for _ in range(12)]
    assert len(set(numbers)) == 12
    assert all(n.isdigit() and len(n) >= 8 for n in numbers)
    steps = {int(b) - int(a) for a, b in pairwise(numbers)}
    assert len(steps) > 1  # not a sequence


def test_a_second_approval_for_a_sitting_member_is_refused(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    duplicate = refer(db, group, clock)
    create_member(db, group, now=clock.now(), phone=PHONE)
    with pytest.raises(AlreadyMember):
        members.approve_referral(
            db, actor=create_staff(db, Role.admin), referral=duplicate, now=clock.now()
        )
    assert duplicate.status is ReferralStatus.pending


def test_reject(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    referral = refer(db, group, clock)
    moderator = create_staff(db)
    members.reject_referral(
        db, actor=moderator, referral=referral, reason="not this group", now=clock.now()
    )
    assert referral.status is ReferralStatus.rejected
    assert referral.decision_reason == "not this group"
    with pytest.raises(AlreadyDecided, match="already rejected"):
        members.approve_referral(db, actor=moderator, referral=referral, now=clock.now())


def test_capacity_is_respected(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now(), capacity=3)
    for _ in range(3):
        create_member(db, group, now=clock.now())
    waiting = refer(db, group, clock)
    with pytest.raises(GroupFull, match="full \\(3 places\\)"):
        members.approve_referral(db, actor=admin, referral=waiting, now=clock.now())
    assert waiting.status is ReferralStatus.pending
    with pytest.raises(CapacityBelowMembers, match="already has 3 members"):
        service.update_group(
            db, actor=admin, group=group, data=GroupUpdate(capacity=2), now=clock.now()
        )
    assert group.capacity == 3
    service.update_group(
        db, actor=admin, group=group, data=GroupUpdate(capacity=4), now=clock.now()
    )
    members.approve_referral(db, actor=admin, referral=waiting, now=clock.now())
    assert service.count_members(db, group.id) == 4


def test_reset_pin_issues_a_new_temporary_pin_and_lifts_a_lock(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    old = create_member(db, group, now=clock.now())
    membership = old.membership
    membership.pin_is_temporary = False
    membership.locked_until = clock.now() + timedelta(minutes=30)
    new = members.reset_pin(db, actor=create_staff(db), membership=membership, now=clock.now())
    assert new.participant_number == old.participant_number
    assert membership.pin_hash is not None
    assert security.verify_secret(new.pin, membership.pin_hash)
    if old.pin != new.pin:
        assert not security.verify_secret(old.pin, membership.pin_hash)
    assert membership.pin_is_temporary and membership.locked_until is None


def test_unlock(db: Session, clock: Clock) -> None:
    membership = create_member(db, create_group(db, now=clock.now()), now=clock.now()).membership
    membership.locked_until = clock.now() + timedelta(minutes=30)
    members.unlock(db, actor=create_staff(db), membership=membership)
    assert membership.locked_until is None


def test_suspend_and_reinstate(db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    members.suspend(db, actor=moderator, membership=membership, now=clock.now())
    assert membership.status is MembershipStatus.suspended
    assert service.count_members(db, group.id) == 1  # a suspended member keeps the seat
    with pytest.raises(InvalidMembershipState, match="cannot suspend a membership that is sus"):
        members.suspend(db, actor=moderator, membership=membership, now=clock.now())
    back = members.reinstate(db, actor=moderator, membership=membership, now=clock.now())
    assert back.status is MembershipStatus.active
    with pytest.raises(InvalidMembershipState):
        members.reinstate(db, actor=moderator, membership=membership, now=clock.now())


def test_eject_frees_the_seat_and_is_final(db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    members.eject(db, actor=moderator, membership=membership, now=clock.now())
    assert service.count_members(db, group.id) == 0
    for action in (members.suspend, members.reinstate, members.eject):
        with pytest.raises(InvalidMembershipState):
            action(db, actor=moderator, membership=membership, now=clock.now())
    with pytest.raises(InvalidMembershipState):
        members.reset_pin(db, actor=moderator, membership=membership, now=clock.now())


def test_moderators_are_removed_not_ejected_or_erased(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now(), moderator=create_staff(db))
    (moderator_membership,) = service.moderators(db, group.id)
    with pytest.raises(InvalidMembershipState, match="not ejected"):
        members.eject(db, actor=admin, membership=moderator_membership, now=clock.now())
    with pytest.raises(InvalidMembershipState, match="not erased"):
        members.erase(db, actor=admin, membership=moderator_membership, now=clock.now())
    service.remove_moderator(db, actor=admin, membership=moderator_membership, now=clock.now())
    assert service.moderators(db, group.id) == []


def test_erase_destroys_contact_data_in_membership_and_referral(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    earlier = refer(db, group, clock)
    members.reject_referral(db, actor=admin, referral=earlier, reason="later", now=clock.now())
    credentials = create_member(db, group, now=clock.now(), phone=PHONE)
    membership = credentials.membership
    members.erase(db, actor=admin, membership=membership, now=clock.now())
    db.expire_all()
    assert membership.status is MembershipStatus.erased
    assert membership.ref.startswith("m")  # the anonymous reference stays for statistics
    for field in ("alias", "phone", "phone_index", "email", "participant_number", "pin_hash"):
        assert getattr(membership, field) is None, field
    for referral in (db.get_one(Referral, membership.referral_id), earlier):
        for field in ("alias", "phone", "phone_index", "email", "note", "decision_reason"):
            assert getattr(referral, field) is None, field
    assert members.find_by_participant_number(db, credentials.participant_number) is None
    with pytest.raises(InvalidMembershipState, match="already erased"):
        members.erase(db, actor=admin, membership=membership, now=clock.now())
    with pytest.raises(InvalidMembershipState, match="no contact data"):
        members.reveal_contact(db, actor=admin, membership=membership)


def test_erase_waits_for_a_pending_referral_of_the_same_phone_to_be_decided(
    db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now(), phone=PHONE).membership
    members.eject(db, actor=admin, membership=membership, now=clock.now())
    again = refer(db, group, clock)  # referred again after the ejection: flagged, waiting
    with pytest.raises(InvalidMembershipState, match="approve or reject it first") as refused:
        members.erase(db, actor=admin, membership=membership, now=clock.now())
    assert PHONE not in str(refused.value) and "Marek" not in str(refused.value)
    assert membership.phone == PHONE and again.phone == PHONE  # nothing half-done

    members.reject_referral(db, actor=admin, referral=again, reason="ejected", now=clock.now())
    members.erase(db, actor=admin, membership=membership, now=clock.now())
    for field in ("alias", "phone", "phone_index", "email", "note", "decision_reason"):
        assert getattr(again, field) is None, field


def test_every_staff_action_on_members_is_audited(db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    members.reveal_contact(db, actor=moderator, membership=membership)
    members.reset_pin(db, actor=moderator, membership=membership, now=clock.now())
    members.unlock(db, actor=moderator, membership=membership)
    members.suspend(db, actor=moderator, membership=membership, now=clock.now())
    members.reinstate(db, actor=moderator, membership=membership, now=clock.now())
    members.eject(db, actor=moderator, membership=membership, now=clock.now())
    members.erase(db, actor=moderator, membership=membership, now=clock.now())
    actions = list(
        db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "membership", AuditEntry.target_id == membership.id)
            .order_by(AuditEntry.id)
        )
    )
    assert actions == [
        "membership.view_contact",
        "membership.reset_pin",
        "membership.unlock",
        "membership.suspend",
        "membership.reinstate",
        "membership.eject",
        "membership.erase",
    ]
