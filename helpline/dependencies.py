"""Dependencies that load a contact point and check what the caller may do there.

The groups' rule: a contact point the caller neither coordinates nor serves at is a 404, as if it
did not exist; one they serve at but do not coordinate answers 403 to a coordinator's action.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from auth.dependencies import CurrentStaff
from core.database import SessionDep
from core.schemas import PathId
from helpline import rota, service
from helpline.exceptions import ContactPointNotFound, CoordinatorsOnly, VolunteersOnly
from helpline.models import ContactPoint, Volunteer


def get_visible_point(point_id: PathId, session: SessionDep, staff: CurrentStaff) -> ContactPoint:
    point = service.get_point(session, point_id)
    visible = service.visible_ids(session, staff)
    if visible is not None and point.id not in visible:
        raise ContactPointNotFound()
    return point


VisiblePoint = Annotated[ContactPoint, Depends(get_visible_point)]


def get_coordinated_point(
    point: VisiblePoint, session: SessionDep, staff: CurrentStaff
) -> ContactPoint:
    if not service.is_coordinator(session, staff, point.id):
        raise CoordinatorsOnly()
    return point


CoordinatedPoint = Annotated[ContactPoint, Depends(get_coordinated_point)]


def get_own_volunteer(point: VisiblePoint, session: SessionDep, staff: CurrentStaff) -> Volunteer:
    """The caller as a volunteer of this contact point (signing up is for volunteers)."""
    volunteer = service.volunteer_of(session, staff)
    if volunteer is None or not service.serves_at(session, volunteer.id, point.id):
        raise VolunteersOnly()
    return volunteer


OwnVolunteer = Annotated[Volunteer, Depends(get_own_volunteer)]


def get_rota_point(point_id: PathId, session: SessionDep, staff: CurrentStaff) -> ContactPoint:
    """A contact point as its rota's readers see it: its coordinators and volunteers, and the
    representatives of the groups serving it (who may have no other place on the helpline)."""
    point = service.get_point(session, point_id)
    visible = service.visible_ids(session, staff)
    if (
        visible is not None
        and point.id not in visible
        and not rota.represents(session, staff, point.id)
    ):
        raise ContactPointNotFound()
    return point


RotaPoint = Annotated[ContactPoint, Depends(get_rota_point)]
