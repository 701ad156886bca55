"""The demo's reproducible secrets and staff accounts.

Demo only: passwords and digits are derived from the secret key with HMAC, so every run of
``supportline demo`` prints the same credentials although only their hashes are stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Role, Staff
from core.settings import get_settings


def _derive(purpose: str) -> bytes:
    key = get_settings().effective_secret_key
    return hmac.new(key, b"supportline demo\x00" + purpose.encode(), hashlib.sha256).digest()


def demo_password(username: str) -> str:
    return "demo-" + base64.b32encode(_derive(f"password:{username}"))[:16].decode().lower()


def demo_digits(purpose: str, length: int) -> str:
    """``length`` digits, the first never 0 (like real credentials)."""
    value = int.from_bytes(_derive(purpose), "big")
    low = 10 ** (length - 1)
    return str(low + value % (9 * low))


def demo_staff(session: Session, username: str, role: Role) -> Staff:
    """The demo's account ``username``, created with its demo password if missing."""
    existing = auth_service.get_by_username(session, username)
    if existing is not None:
        return existing
    # An address of the reserved example domain: the moderators' notices (a referral waiting)
    # have somewhere to go, and show in the outbox like everything the demo sends.
    return auth_service.create_staff(
        session,
        username=username,
        password=demo_password(username),
        role=role,
        email=f"{username}@example.org",
    )
