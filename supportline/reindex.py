"""Blind indexes after a change of ``SECRET_KEY`` (``supportline pii reindex``).

The indexes are HMACs keyed by ``SECRET_KEY``: after it changes, no participant number is found
(nobody can dial in), a STOP reply no longer matches the member it came from and reminders
would reach people who asked for none. Every index is recomputed from the decrypted value; an
SMS opt-out, stored as the index alone, is carried over by computing the index of every phone
number still stored with the previous key. Opt-outs of numbers no longer stored cannot be
carried over and stay as they were (they would match again only under the previous key).
Throttles (failed logins, failed PINs per caller) start afresh: their keys are not carried.

Before anything is written, every stored index is checked against the previous key (or the
current one, where a run was interrupted or repeated): a mistyped previous key would otherwise
leave every opt-out behind, and members who replied STOP would be reminded again.

When the previous key is lost (``previous_secret_key=None``), every index is still rebuilt from
the decrypted value, and an opt-out is carried over through the index stored beside a member's
or referral's phone: that stored index is the number's index under the lost key. What no stored
record names — numbers erased since, staff phones (stored without an index) — cannot be carried
over and is counted in ``left``; nothing can be checked against a key nobody has.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import pii
from core.database import insert_or_nothing
from groups.models import Membership, Referral
from notifications.models import SmsOptOut


class WrongPreviousKey(ValueError):
    """Stored indexes match neither the previous key given nor the current one."""


@dataclass(frozen=True)
class Reindexed:
    records: int  # memberships and referrals whose indexes were recomputed
    opt_outs: int  # opt-outs now under the current key
    left: int  # opt-outs of numbers no longer stored, left as they were


@dataclass
class _Rekey:
    previous: bytes | None  # the index key derived from the previous SECRET_KEY, if known
    carried: dict[str, str]  # a phone's index under the previous key -> under the current one
    mismatches: int = 0

    def index(self, kind: str, value: str, stored: str | None) -> str:
        current = pii.blind_index(kind, value)
        if self.previous is None:  # the stored index is the one under the lost key
            before = stored
        else:
            before = pii.blind_index(kind, value, key=self.previous)
            if stored is not None and stored not in (current, before):
                self.mismatches += 1
        if kind == "phone" and before is not None:
            self.carried[before] = current
        return current


def reindex(session: Session, *, previous_secret_key: bytes | None) -> Reindexed:
    """Recompute every blind index with the current key; ``previous_secret_key=None`` when the
    previous key is lost (see the module's text for what is then left behind)."""
    previous = None if previous_secret_key is None else pii.index_key(previous_secret_key)
    rekey = _Rekey(previous, {})
    memberships = list(session.scalars(select(Membership)))
    referrals = list(session.scalars(select(Referral)))
    new_indexes: list[tuple[Membership | Referral, str, str]] = []
    for membership in memberships:
        if membership.participant_number is not None:
            stored = membership.participant_number_index
            index = rekey.index("participant", membership.participant_number, stored)
            new_indexes.append((membership, "participant_number_index", index))
    records: list[Membership | Referral] = [*memberships, *referrals]
    for record in records:
        if record.phone is not None:
            index = rekey.index("phone", record.phone, record.phone_index)
            new_indexes.append((record, "phone_index", index))
    for staff_phone in session.scalars(select(Staff.phone).where(Staff.phone.is_not(None))):
        if staff_phone:  # staff are notified by SMS: their STOP counts too
            rekey.index("phone", staff_phone, None)
    if rekey.mismatches:
        raise WrongPreviousKey(
            f"{rekey.mismatches} stored indexes match neither the previous key given nor the "
            "current one: check the previous SUPPORTLINE_SECRET_KEY. Nothing was changed. If it is "
            "lost: `supportline pii reindex --without-previous-key`."
        )
    for record, column, index in new_indexes:
        setattr(record, column, index)
    session.flush()

    current = set(rekey.carried.values())
    opt_outs = left = 0
    for row in list(session.scalars(select(SmsOptOut))):
        if row.phone_index in current:
            opt_outs += 1  # already under the current key (reindexed before)
        elif row.phone_index in rekey.carried:
            new = {"phone_index": rekey.carried[row.phone_index], "opted_out_at": row.opted_out_at}
            # A STOP arriving meanwhile may have stored the new index already: no conflict.
            session.execute(insert_or_nothing(session, SmsOptOut).values(new))
            session.execute(delete(SmsOptOut).where(SmsOptOut.phone_index == row.phone_index))
            opt_outs += 1
        else:
            left += 1
    session.expire_all()
    return Reindexed(records=len(records), opt_outs=opt_outs, left=left)
