"""Blind indexes after a change of ``SECRET_KEY`` (``supportline pii reindex``).

The indexes are HMACs keyed by ``SECRET_KEY``: after it changes, no participant number is found
(nobody can dial in), a STOP reply no longer matches the member it came from and reminders
would reach people who asked for none. Every index is recomputed from the decrypted value; an
SMS opt-out, stored as the index alone, is carried over by computing the index of every phone
number still stored with the previous key. Opt-outs of numbers no longer stored cannot be
carried over and stay as they were (they would match again only under the previous key).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import pii
from groups.models import Membership, Referral
from notifications.models import SmsOptOut


@dataclass(frozen=True)
class Reindexed:
    records: int  # memberships and referrals whose indexes were recomputed
    opt_outs: int  # opt-outs now under the current key
    left: int  # opt-outs of numbers no longer stored, left as they were


def reindex(session: Session, *, previous_secret_key: bytes) -> Reindexed:
    previous = pii.index_key(previous_secret_key)
    carried: dict[str, str] = {}  # a phone's index under the previous key -> under the current

    def phone_index(phone: str) -> str:
        index = pii.phone_index(phone)
        carried[pii.phone_index(phone, key=previous)] = index
        return index

    records = 0
    for membership in session.scalars(select(Membership)):
        if membership.participant_number is not None:
            number = membership.participant_number
            membership.participant_number_index = pii.blind_index("participant", number)
        if membership.phone is not None:
            membership.phone_index = phone_index(membership.phone)
        records += 1
    for referral in session.scalars(select(Referral)):
        if referral.phone is not None:
            referral.phone_index = phone_index(referral.phone)
        records += 1
    for staff_phone in session.scalars(select(Staff.phone).where(Staff.phone.is_not(None))):
        if staff_phone:
            phone_index(staff_phone)  # staff are notified by SMS: their STOP counts too
    session.flush()

    current = set(carried.values())
    opt_outs = left = 0
    for row in list(session.scalars(select(SmsOptOut))):
        if row.phone_index in current:
            opt_outs += 1  # already under the current key (reindexed before)
        elif row.phone_index in carried:
            session.delete(row)
            session.flush()
            if session.get(SmsOptOut, carried[row.phone_index]) is None:
                session.add(
                    SmsOptOut(phone_index=carried[row.phone_index], opted_out_at=row.opted_out_at)
                )
            opt_outs += 1
        else:
            left += 1
    session.flush()
    return Reindexed(records=records, opt_outs=opt_outs, left=left)
