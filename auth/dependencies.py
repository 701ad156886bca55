"""Validating dependencies: who is calling, and may they do this at all."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from auth import service
from auth.exceptions import InvalidToken, RoleRequired
from auth.models import Role, Staff
from core.clock import Now
from core.database import SessionDep

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_current_staff(
    session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)], now: Now
) -> Staff:
    if not token:
        raise InvalidToken()
    return service.staff_from_token(session, token, now=now)


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]


def get_admin(staff: CurrentStaff) -> Staff:
    if staff.role is not Role.admin:
        raise RoleRequired("manage the organisation (admins only)")
    return staff


AdminStaff = Annotated[Staff, Depends(get_admin)]
