"""Login, staff accounts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.security import OAuth2PasswordRequestForm

from auth import service
from auth.dependencies import AdminStaff, CurrentStaff
from auth.exceptions import StaffNotFound
from auth.schemas import StaffCreate, StaffRead, StaffUpdate, TokenRead
from core import audit
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS, error_responses
from core.schemas import MAX_ID, Page, PageParams, PathId, Schema
from core.work import ClientAddress, WorkDep

router = APIRouter(prefix="/api/v1", tags=["staff"], responses=API_ERRORS)


class AuditRead(Schema):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    target_type: str
    target_id: int | None
    group_id: int | None
    details: dict[str, object]


@router.post("/auth/token", response_model=TokenRead, responses=error_responses(429))
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    work: WorkDep,
    client: ClientAddress,
    now: Now,
) -> object:
    """Exchange a username and password for a bearer token (OAuth2 password flow)."""
    staff = await service.log_in(
        work, username=form.username, password=form.password, client=client, now=now
    )
    issued = service.issue_token(staff, now=now)
    return TokenRead(access_token=issued.access_token, expires_in=issued.expires_in)


@router.get("/auth/me", response_model=StaffRead)
def me(staff: CurrentStaff) -> object:
    """The signed-in staff member."""
    return staff


@router.post("/staff", response_model=StaffRead, status_code=status.HTTP_201_CREATED)
def create_staff(data: StaffCreate, session: SessionDep, admin: AdminStaff) -> object:
    """Create a staff account (admins)."""
    staff = service.create_staff(
        session,
        username=data.username,
        password=data.password,
        role=data.role,
        email=data.email,
        phone=data.phone,
    )
    audit.record(
        session, actor_id=admin.id, action="staff.create", target_type="staff", target_id=staff.id
    )
    return staff


@router.get("/staff", response_model=Page[StaffRead])
def list_staff(
    session: SessionDep, _admin: AdminStaff, paging: Annotated[PageParams, Depends()]
) -> object:
    """All staff accounts (admins)."""
    items, total = service.list_staff(session, limit=paging.limit, offset=paging.offset)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.patch("/staff/{staff_id}", response_model=StaffRead)
def update_staff(
    staff_id: PathId, data: StaffUpdate, session: SessionDep, admin: AdminStaff
) -> object:
    """Change a password or deactivate an account; old tokens stop working (admins)."""
    staff = service.get_staff(session, staff_id)
    if staff is None:
        raise StaffNotFound()
    if data.password is not None:
        service.set_password(session, staff=staff, password=data.password)
    if data.is_active is not None:
        service.set_active(session, staff=staff, active=data.is_active)
    audit.record(
        session, actor_id=admin.id, action="staff.update", target_type="staff", target_id=staff.id
    )
    return staff


@router.get("/audit", response_model=Page[AuditRead])
def list_audit(
    session: SessionDep,
    _admin: AdminStaff,
    paging: Annotated[PageParams, Depends()],
    group_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> object:
    """The audit log, newest first (admins)."""
    items, total = audit.list_entries(
        session, limit=paging.limit, offset=paging.offset, group_id=group_id, action=action
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)
