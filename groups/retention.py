"""Retention of referrals and memberships: contact data goes, the decision and the phone's blind
index stay, so a new referral of the same phone is still flagged "already member" or
"previously ejected" (``groups.members.create_referral``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import Session

from core.retention import Rule, days_before
from core.settings import get_settings
from groups.models import Membership, MembershipStatus, Referral, ReferralStatus

# What a referral says about the person (and what its free texts may say about anyone).
REFERRAL_PERSONAL = ("alias", "phone", "email", "note", "decision_reason")
# An ejected member's contact data and dead credentials; the phone's blind index stays.
EJECTED_PERSONAL = (
    "alias",
    "phone",
    "email",
    "participant_number",
    "participant_number_index",
    "pin_hash",
    "locked_until",
)


def _any_set(model: type[Referral | Membership], names: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(getattr(model, name).is_not(None) for name in names))


def rejected_referrals_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_referral_days)
    return select(Referral.id).where(
        Referral.status == ReferralStatus.rejected,
        Referral.decided_at < cutoff,
        _any_set(Referral, REFERRAL_PERSONAL),
    )


def clear_referrals(session: Session, ids: Sequence[int], _now: datetime) -> None:
    values = dict.fromkeys(REFERRAL_PERSONAL)
    session.execute(update(Referral).where(Referral.id.in_(ids)).values(values))


def ejected_memberships_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_ejected_days)
    return select(Membership.id).where(
        Membership.status == MembershipStatus.ejected,
        Membership.status_changed_at < cutoff,
        _any_set(Membership, EJECTED_PERSONAL),
    )


def clear_ejected(session: Session, ids: Sequence[int], _now: datetime) -> None:
    """The memberships' contact data, and the copy in the referral each came from."""
    referral_ids = select(Membership.referral_id).where(
        Membership.id.in_(ids), Membership.referral_id.is_not(None)
    )
    session.execute(
        update(Referral)
        .where(Referral.id.in_(referral_ids))
        .values(dict.fromkeys(REFERRAL_PERSONAL))
    )
    values = dict.fromkeys(EJECTED_PERSONAL)
    session.execute(update(Membership).where(Membership.id.in_(ids)).values(values))


def rules() -> list[Rule]:
    return [
        Rule("rejected referrals: contact data", rejected_referrals_due, clear_referrals),
        Rule("ejected members: contact data", ejected_memberships_due, clear_ejected),
    ]
