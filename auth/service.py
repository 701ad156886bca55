"""Staff accounts, password login with throttling, and bearer tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, Connection, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.exceptions import InvalidCredentials, InvalidToken, LoginThrottled, UsernameTaken
from auth.models import LoginFailure, RevokedSession, Role, Staff
from core import pii, security
from core.database import insert_or_nothing
from core.settings import get_settings
from core.work import Mode, Work, runs

TOKEN_SALT = "supportline api token"  # noqa: S105 - a domain separator, not a secret


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class Authenticated:
    """Who signed in: what a token is issued for (the ``Staff`` columns it needs)."""

    id: int
    token_generation: int


@dataclass(frozen=True)
class LoginAttempt:
    """What a login needs to know before the password's hash is verified."""

    account_key: str
    client_key: str
    password_hash: str  # a dummy hash for an unknown or inactive account: the same work
    staff: Authenticated | None


def _same_username(username: str) -> ColumnElement[bool]:
    return func.lower(Staff.username) == username.lower()


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    email: str | None = None,
    phone: str | None = None,
) -> Staff:
    if session.scalar(select(Staff.id).where(_same_username(username))) is not None:
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
    return session.scalar(select(Staff).where(_same_username(username)))


def _failures(connection: Connection, condition: ColumnElement[bool], since: datetime) -> int:
    query = (
        select(func.count()).select_from(LoginFailure).where(condition, LoginFailure.at >= since)
    )
    return connection.scalar(query) or 0


@runs(Mode.autocommit)
def login_attempt(
    connection: Connection, *, username: str, client: str, now: datetime
) -> LoginAttempt:
    """Read what a login needs, outside any transaction: the password's hash is then verified
    while no lock is held (on SQLite a transaction holds the database's only write lock, and
    ~20 ms of hashing in one made every webhook wait). Refused when the account, or the client's
    address, failed too often in the window."""
    settings = get_settings()
    account_key = pii.blind_index("staff-login", username.lower())
    client_key = pii.blind_index("staff-login-client", client)
    since = now - timedelta(minutes=settings.login_failure_window_minutes)
    if (
        _failures(connection, LoginFailure.username_key == account_key, since)
        >= settings.login_max_failures
        or _failures(connection, LoginFailure.client_key == client_key, since)
        >= settings.login_max_failures_per_client
    ):
        raise LoginThrottled(settings.login_failure_window_minutes)
    staff = connection.execute(
        select(Staff.id, Staff.token_generation, Staff.password_hash, Staff.is_active).where(
            _same_username(username)
        )
    ).first()
    if staff is None or not staff.is_active:
        return LoginAttempt(account_key, client_key, security.dummy_hash(), None)
    known = Authenticated(staff.id, staff.token_generation)
    return LoginAttempt(account_key, client_key, staff.password_hash, known)


@runs(Mode.normal)
def record_login(
    session: Session, *, attempt: LoginAttempt, password_ok: bool, now: datetime
) -> Authenticated:
    """After the verification: forget the account's failures, or count one more (kept even
    though ``InvalidCredentials`` is raised)."""
    if password_ok and attempt.staff is not None:
        session.execute(
            delete(LoginFailure).where(LoginFailure.username_key == attempt.account_key)
        )
        return attempt.staff
    session.add(
        LoginFailure(username_key=attempt.account_key, client_key=attempt.client_key, at=now)
    )
    session.flush()
    raise InvalidCredentials()


def authenticate(
    session: Session, *, username: str, password: str, now: datetime, client: str = "local"
) -> Authenticated:
    """A login in one unit of work, for the command line and the tests; the HTTP routes run
    ``login_attempt`` and ``record_login`` in units of their own, hashing in between.

    An unknown username costs one argon2 verification like a known one, so timing tells nothing.
    """
    attempt = login_attempt(session.connection(), username=username, client=client, now=now)
    password_ok = security.verify_secret(password, attempt.password_hash)
    return record_login(session, attempt=attempt, password_ok=password_ok, now=now)


async def log_in(
    work: Work, *, username: str, password: str, client: str, now: datetime
) -> Authenticated:
    """The HTTP login: read, verify on the hashing threads with no transaction open, record."""
    attempt = await work.run(login_attempt, username=username, client=client, now=now)
    password_ok = await security.verify_secret_async(password, attempt.password_hash)
    return await work.run(record_login, attempt=attempt, password_ok=password_ok, now=now)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().effective_secret_key, salt=TOKEN_SALT)


def issue_token(
    staff: Staff | Authenticated, *, now: datetime, session_id: str | None = None
) -> IssuedToken:
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
