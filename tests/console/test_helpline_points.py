"""The helpline's first page offers each person their way in: a named reviewer the voicemail
to review, a serving group's representative with no other place on the helpline their rota."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import inbox, rota, service
from helpline.rota_schemas import ServingGroupCreate
from helpline.schemas import VolunteerCreate
from tests.console.helpers import sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point


def test_a_reviewer_is_offered_the_voicemail_of_their_contact_point_only(
    client: TestClient, db: Session
) -> None:
    admin = create_staff(db, Role.admin)
    gdansk = contact_point(db, admin, name="Gdańsk", volunteers=1)
    sopot = contact_point(db, admin, name="Sopot", volunteers=0)
    reviewer = gdansk.volunteers[0]
    inbox.name_reviewer(db, gdansk.point, reviewer.id, actor=admin)
    # The reviewer also serves at Sopot, without reviewing there.
    also = VolunteerCreate(staff_id=reviewer.staff_id, phone=gdansk.phones[0])
    service.add_volunteer(db, sopot.point, actor=admin, data=also)
    sign_in(client, gdansk.staff[0])
    page = client.get("/console/helpline").text
    assert f'href="/console/helpline/{gdansk.point.id}/voicemail"' in page
    assert f'href="/console/helpline/{sopot.point.id}/voicemail"' not in page
    assert client.get(f"/console/helpline/{gdansk.point.id}/voicemail").status_code == 200


def test_a_representative_with_no_other_place_starts_on_their_rota(
    client: TestClient, db: Session
) -> None:
    admin = create_staff(db, Role.admin)
    bielsko = contact_point(db, admin, name="Bielsko-Biała", volunteers=0)
    representative = create_staff(db, Role.helper)
    data = ServingGroupCreate(name="Grupa Nadzieja", representative_id=representative.id)
    rota.add_group(db, bielsko.point, actor=admin, data=data)

    sign_in(client, representative)
    landing = client.get("/console/", follow_redirects=False)
    assert landing.headers["location"] == "/console/helpline"
    page = client.get("/console/helpline").text
    assert "You are not on any contact point" not in page
    assert f'href="/console/helpline/{bielsko.point.id}/rota"' in page
    assert client.get(f"/console/helpline/{bielsko.point.id}/rota").status_code == 200
