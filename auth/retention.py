"""Retention of staff sign-in records: failed logins go once the throttling window is long
past, revoked console sessions once no copy of their cookie can be valid any more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from auth.models import LoginFailure, RevokedSession
from core.retention import Rule, days_before
from core.settings import get_settings


def login_failures_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_security_days)
    return select(LoginFailure.id).where(LoginFailure.at < cutoff)


def delete_login_failures(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))


def revoked_sessions_due(now: datetime) -> Select[Any]:
    return select(RevokedSession.id).where(RevokedSession.expires_at <= now)


def delete_revoked_sessions(session: Session, ids: Sequence[str], _now: datetime) -> None:
    session.execute(delete(RevokedSession).where(RevokedSession.id.in_(ids)))


def rules() -> list[Rule]:
    return [
        Rule("failed staff logins", login_failures_due, delete_login_failures),
        Rule("expired revoked sessions", revoked_sessions_due, delete_revoked_sessions),
    ]
