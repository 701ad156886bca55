"""The rota in the console: the coordinator adds groups, generates the month and changes a shift by
hand; the month's page shows which group covers which shift; candidates are confirmed there."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import mentoring, rota
from helpline.models import CandidacyStatus, DutyPhoneKind
from helpline.rota_schemas import ServingGroupCreate
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, duty_phone, weekly

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def point_with_shifts(db: Session, clock: Clock) -> Point:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Bielsko-Biała", volunteers=2)
    weekly(db, point, admin, NOW, days="mon thu", start="16:00", end="21:00", seats=2)
    return point


def test_the_coordinator_builds_the_rota_and_the_month_shows_it(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point = point_with_shifts(db, clock)
    sign_in(client, point.coordinator)
    base = f"/console/helpline/{point.point.id}"

    for name, phone in (("Grupa Jedność", "+48600555101"), ("Grupa Nadzieja", "+48600555102")):
        added = post_form(
            client,
            f"{base}/serving-groups",
            {"name": name, "contact_name": "Rep", "contact_phone": phone},
        )
        assert added.status_code == 303, added.text
    empty = post_form(client, f"{base}/rota/generate", {"month": "2026-12"})
    assert empty.status_code == 422 and "month is over" in empty.text
    done = post_form(client, f"{base}/rota/generate", {"month": "2027-02"})
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "The rota of February 2027 is ready" in page
    assert page.count('class="group">Grupa Jedność<') == 4
    assert page.count('class="group">Grupa Nadzieja<') == 4

    [first, *_] = rota.month_shifts(db, point.point, date(2027, 2, 1))
    changed = post_form(client, f"{base}/rota/shifts/{first.shift.id}", {"serving_group_id": ""})
    assert changed.status_code == 303
    page = client.get(changed.headers["location"]).text
    assert "No group</span>" in page and "changed by hand" in page

    month = client.get(f"{base}?month=2027-02").text
    assert 'class="badge group">Grupa Nadzieja<' in month
    assert f'href="/console/helpline/{point.point.id}/rota"' in month


def test_a_volunteer_sees_the_rota_but_none_of_its_forms(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point = point_with_shifts(db, clock)
    sign_in(client, point.staff[0])
    page = client.get(f"/console/helpline/{point.point.id}/rota?month=2027-02")
    assert page.status_code == 200
    assert "No rota for February 2027 yet." in page.text
    assert "Generate" not in page.text and "Add a group" not in page.text
    refused = post_form(
        client, f"/console/helpline/{point.point.id}/rota/generate", {"month": "2027-02"}
    )
    assert refused.status_code == 403


def test_the_coordinator_confirms_a_candidate_with_a_button(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point = point_with_shifts(db, clock)
    candidacy = mentoring.add_candidate(
        db,
        point.point,
        actor=point.coordinator,
        volunteer=point.volunteers[0],
        mentor=point.volunteers[1],
        starts_on=None,
        months=12,
        now=NOW,
    )
    sign_in(client, point.coordinator)
    base = f"/console/helpline/{point.point.id}"
    page = client.get(f"{base}/rota").text
    assert "until 11 January 2028" in page

    extended = post_form(client, f"{base}/candidates/{candidacy.id}/extend", {"months": "6"})
    confirmed = post_form(client, f"{base}/candidates/{candidacy.id}/confirm")

    assert extended.status_code == confirmed.status_code == 303
    assert candidacy.ends_on == date(2028, 7, 11)
    assert candidacy.status is CandidacyStatus.confirmed
    assert "Experienced" in client.get(f"{base}/rota").text


def test_a_representative_fills_their_groups_shift_from_the_rota_page(
    client: TestClient, db: Session, clock: Clock
) -> None:
    point = point_with_shifts(db, clock)
    duty_phone(db, point, point.coordinator, DutyPhoneKind.mobile, "Grupa mobile")
    representative = create_staff(db, Role.helper)  # on no team: a group's representative only
    for name in ("Grupa A", "Grupa B"):
        data = ServingGroupCreate(name=name, representative_id=representative.id)
        if name == "Grupa B":
            data = ServingGroupCreate(name=name, contact_name="Rep", contact_phone="+48600555201")
        rota.add_group(db, point.point, actor=point.coordinator, data=data)
    rota.generate(db, point.point, month=date(2027, 2, 1), actor=point.coordinator, now=NOW)
    ours, theirs = (row.shift for row in rota.month_shifts(db, point.point, date(2027, 2, 1))[:2])
    sign_in(client, representative)
    base = f"/console/helpline/{point.point.id}/rota"

    page = client.get(f"{base}?month=2027-02").text
    seated = post_form(
        client, f"{base}/shifts/{ours.id}/seats", {"volunteer_id": str(point.volunteers[0].id)}
    )
    whole = post_form(
        client,
        f"{base}/shifts/{ours.id}/whole-group",
        {"duty_phone_id": str(point.duty["Grupa mobile"].id)},
    )
    refused = post_form(
        client, f"{base}/shifts/{theirs.id}/seats", {"volunteer_id": str(point.volunteers[0].id)}
    )

    assert f'action="{base}/shifts/{ours.id}/seats"' in page
    assert f'action="{base}/shifts/{theirs.id}/seats"' not in page
    assert "Generate" not in page and "Add a group" not in page
    assert seated.status_code == whole.status_code == 303
    assert ours.seats[0].volunteer_id == point.volunteers[0].id
    assert ours.seats[1].duty_phone_id == point.duty["Grupa mobile"].id
    assert refused.status_code == 403
    assert "the whole group, on a duty mobile" in client.get(f"{base}?month=2027-02").text
