from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from auth.models import Role
from core.schemas import Changes, E164Phone, Email, Schema

Username = Annotated[
    str, StringConstraints(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]


class TokenRead(Schema):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class StaffCreate(Schema):
    username: Username
    password: Password
    role: Role
    email: Email | None = None
    phone: E164Phone | None = None


class StaffUpdate(Changes):
    password: Password | None = None
    is_active: bool | None = None


class StaffRead(Schema):
    id: int
    username: str
    role: Role
    is_active: bool
    created_at: datetime
