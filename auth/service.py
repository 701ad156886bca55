"""Staff accounts, password login with throttling, and bearer tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.exceptions import InvalidCredentials, InvalidToken, LoginThrottled, UsernameTaken
from auth.models import LoginFailure, RevokedSession, Role, Staff
from core import pii, security
from core.database import insert_or_nothing
from core.settings import get_settings

TOKEN_SALT = "supportline api token"  # noqa: S105 - a domain separator, not a secret


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    email: str | None = None,
    phone: str | None = None,
) -> Staff:
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise UsernameTaken()
    staff = Staff(
        username=username,
        password_hash=security.hash_secret(password),
        role=role,
        email=email,
        phone=phone,
    )
    try:
        with session.begin_nested():  # the same name created a moment ago by someone else
            session.add(staff)
    except IntegrityError:
        raise UsernameTaken() from None  # PostgreSQL's text would quote the name
    return staff


def get_by_username(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == username))


def authenticate(session: Session, *, username: str, password: str, now: datetime) -> Staff:
    """Check a password, throttling repeated failures per account.

    An unknown username costs one argon2 verification like a known one, so timing tells nothing.
    """
    settings = get_settings()
    key = pii.blind_index("staff-login", username.lower())
    window_start = now - timedelta(minutes=settings.login_failure_window_minutes)
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username_key == key, LoginFailure.at >= window_start)
    )
    if (failures or 0) >= settings.login_max_failures:
        raise LoginThrottled(settings.login_failure_window_minutes)
    staff = get_by_username(session, username)
    hashed = staff.password_hash if staff is not None else security.dummy_hash()
    if security.verify_secret(password, hashed) and staff is not None and staff.is_active:
        session.execute(delete(LoginFailure).where(LoginFailure.username_key == key))
        return staff
    session.add(LoginFailure(username_key=key, at=now))
    session.flush()
    raise InvalidCredentials()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().effective_secret_key, salt=TOKEN_SALT)


def issue_token(staff: Staff, *, now: datetime, session_id: str | None = None) -> IssuedToken:
    """A bearer token; ``session_id`` ties it to a console session that signing out revokes."""
    ttl = get_settings().token_ttl_minutes * 60
    expires = int(now.timestamp()) + ttl
    payload: dict[str, object] = {"sid": staff.id, "gen": staff.token_generation, "exp": expires}
    if session_id is not None:
        payload["ses"] = session_id
    return IssuedToken(access_token=_serializer().dumps(payload), expires_in=ttl)


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def _payload(token: str, now: datetime) -> dict[str, object]:
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise InvalidToken() from None
    if not isinstance(payload, dict) or int(payload.get("exp", 0)) <= now.timestamp():
        raise InvalidToken()
    return payload


def staff_from_token(session: Session, token: str, *, now: datetime) -> Staff:
    """The staff member a token was issued to, if it is genuine, unexpired and not revoked."""
    payload = _payload(token, now)
    staff = session.get(Staff, payload.get("sid"))
    if staff is None or not staff.is_active or staff.token_generation != payload.get("gen"):
        raise InvalidToken()
    session_id = payload.get("ses")
    if session_id is not None and session.get(RevokedSession, session_id) is not None:
        raise InvalidToken()
    return staff


def session_of(token: str) -> str | None:
    """The console session a genuine token belongs to, expired or not: a tab that timed out
    can still sign out the copies of its cookie that kept themselves alive."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    session_id = payload.get("ses") if isinstance(payload, dict) else None
    return session_id if isinstance(session_id, str) else None


def revoke_session(session: Session, session_id: str, *, now: datetime) -> None:
    """Sign a console session out everywhere its cookie was copied to.

    Kept until every token the session could have been given has expired (tokens are renewed
    on use, so one renewed a moment ago lasts a whole ``TOKEN_TTL_MINUTES``); the expired are
    swept out here. Signing out twice at once (two tabs, a double click) is no conflict.
    """
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= now))
    ttl = timedelta(minutes=get_settings().token_ttl_minutes)
    row = {"id": session_id, "expires_at": now + ttl}
    session.execute(insert_or_nothing(session, RevokedSession).values(row))


def list_staff(session: Session, *, limit: int, offset: int) -> tuple[list[Staff], int]:
    total = session.scalar(select(func.count()).select_from(Staff)) or 0
    rows = session.scalars(select(Staff).order_by(Staff.id).limit(limit).offset(offset))
    return list(rows), total


def set_password(session: Session, *, staff: Staff, password: str) -> Staff:
    staff.password_hash = security.hash_secret(password)
    staff.token_generation += 1
    session.flush()
    return staff


def set_active(session: Session, *, staff: Staff, active: bool) -> Staff:
    staff.is_active = active
    staff.token_generation += 1
    session.flush()
    return staff


def get_staff(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)
