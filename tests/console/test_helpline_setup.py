"""Setting up a contact point in the console: an admin adds one with its line, a coordinator
changes its settings, each refusal says what is wrong and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from groups import service as groups_service
from groups.schemas import LineCreate
from helpline import service
from helpline.models import ContactPoint, RingStrategy
from tests.console.helpers import post_form, sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point

FORM = {
    "name": "Gdańsk",
    "language": "pl",
    "time_zone": "Europe/Warsaw",
    "ring_strategy": "in_turn",
    "ring_seconds": "30",
    "signup_cutoff_hours": "12",
    "national_order": "",
}


def test_an_admin_adds_a_contact_point_with_a_free_line(client: TestClient, db: Session) -> None:
    admin = create_staff(db, Role.admin)
    line = groups_service.create_line(
        db, actor=admin, data=LineCreate(number="+48583001122", language="en")
    )
    sign_in(client, admin)
    assert 'href="/console/helpline/new"' in client.get("/console/helpline").text
    form = client.get("/console/helpline/new").text
    assert "+48583001122" in form  # offered: it belongs to no group and no contact point
    refused = post_form(client, "/console/helpline/new", {**FORM, "time_zone": "Mars/Olympus"})
    assert refused.status_code == 422 and "time zone" in refused.text.lower()
    assert db.scalar(select(ContactPoint).where(ContactPoint.name == "Gdańsk")) is None

    added = post_form(client, "/console/helpline/new", {**FORM, "line_id": str(line.id)})
    assert added.status_code == 303
    point = db.scalar(select(ContactPoint).where(ContactPoint.name == "Gdańsk"))
    assert point is not None and point.ring_strategy is RingStrategy.in_turn
    assert (point.ring_seconds, point.signup_cutoff_hours, point.national_order) == (30, 12, None)
    assert service.point_lines(db, point.id) == ["+48583001122"]
    assert line.language == "pl"  # its callers hear the contact point's language
    assert "+48583001122" not in client.get("/console/helpline/new").text  # no longer free
    again = post_form(client, "/console/helpline/new", FORM)
    assert again.status_code == 422 and "exists already" in again.text


def test_a_coordinator_changes_the_settings_and_a_volunteer_cannot(
    client: TestClient, db: Session
) -> None:
    point = contact_point(db, create_staff(db, Role.admin), name="Kraków", volunteers=1)
    settings = f"/console/helpline/{point.point.id}/settings"
    sign_in(client, point.staff[0])
    assert client.get(settings).status_code == 403
    sign_in(client, point.coordinator)
    page = client.get(settings).text
    assert 'value="Kraków"' in page and point.line in page
    assert "Give it another line" not in page  # lines are an admin's
    changed = {
        **FORM,
        "name": "Kraków",
        "national_order": "2",
        "announce_national": "yes",
        "number_on_national": "yes",
    }
    assert post_form(client, settings, changed).status_code == 303
    db.refresh(point.point)
    assert (point.point.national_order, point.point.announce_national) == (2, True)
    assert point.point.number_on_national
    assert point.point.ring_strategy is RingStrategy.in_turn
    # Emptied, the place on the national line takes it off the national line; unticked, no
    # announcement.
    emptied = {**changed, "national_order": "", "announce_national": ""}
    assert post_form(client, settings, emptied).status_code == 303
    db.refresh(point.point)
    assert (point.point.national_order, point.point.announce_national) == (None, False)
    # In English now: callers to its line hear English, as a newly attached line would.
    assert post_form(client, settings, {**emptied, "language": "en"}).status_code == 303
    line = groups_service.get_line_by_number(db, point.line)
    assert line is not None and line.language == "en"
    bad = post_form(client, settings, {**changed, "ring_seconds": "5"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    db.refresh(point.point)
    assert point.point.ring_seconds == 30
    assert post_form(client, f"/console/helpline/{point.point.id}/lines", {}).status_code == 403
