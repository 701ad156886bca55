from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, string_enum, utcnow
from core.pii import EncryptedText


class Role(StrEnum):
    admin = "admin"  # the coordinator: manages everything
    moderator = "moderator"  # facilitates their own groups
    helper = "helper"  # refers callers, sees no member lists


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(string_enum(Role, 16))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Contact data for notifying staff (a referral waiting, a lockout); encrypted like members'.
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    # Bumped to revoke every token issued before (password change, deactivation).
    token_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Unique whatever the case: "Ana" and "ana" are one account (and one throttle counter).
    __table_args__ = (Index("uq_staff_username_lower", func.lower(username), unique=True),)


class RevokedSession(Base):
    """A console session signed out while copies of its cookie may still be valid: refused until
    the last token it could have been given expires."""

    __tablename__ = "revoked_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginFailure(Base):
    """One failed staff login, kept for the throttling window. Keyed by HMACs of the username
    and of the client's address, so that both an account and an address can be throttled."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64), index=True)
    client_key: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
