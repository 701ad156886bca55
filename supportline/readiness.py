"""Readiness beyond the database: the keys in the settings are the ones the data was stored with.

With another ``PII_KEYS`` every page showing a member fails; with another ``SECRET_KEY`` no blind
index matches, so every caller hears "details not recognised". Both pass a check of the database
alone, so ``/readyz`` also decrypts one stored participant number and matches its blind index.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import pii
from core.outage import NotReady
from groups.models import Membership


def check_stored_keys(session: Session) -> None:
    """Decrypt a stored participant number and find it again through its blind index; nothing
    stored yet passes."""
    query = select(Membership.participant_number, Membership.participant_number_index).where(
        Membership.participant_number.is_not(None)
    )
    try:
        found = session.execute(query.limit(1)).first()
    except pii.PiiKeyError:
        raise NotReady(
            "SUPPORTLINE_PII_KEYS does not decrypt the stored data: put back the key it was "
            "stored with (the first key encrypts, every listed key decrypts)"
        ) from None
    if found is None or found.participant_number is None:
        return
    if pii.blind_index("participant", found.participant_number) != found.participant_number_index:
        raise NotReady(
            "SUPPORTLINE_SECRET_KEY is not the key the stored data was indexed with, so no caller "
            "would be recognised: put it back, or run `supportline pii reindex`"
        )
