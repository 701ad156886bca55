"""Bielsko-Biała's rota: a month's shifts shared out to the groups whose turn it is, the next month
going on where the last one stopped, paused groups skipped, hand edits kept, each representative
told once, the seats filled by the representative — or the group on a duty mobile, which rings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import duty, rota
from helpline.exceptions import NoServingGroups, RepresentativeIncomplete
from helpline.models import DutyPhoneKind, ServingGroup
from helpline.rota_schemas import ServingGroupCreate, ServingGroupUpdate
from notifications.models import Kind, OutboxMessage
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_staff
from tests.helpline.world import Point, contact_point, duty_phone, number, weekly

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)  # a Monday morning in Bielsko-Biała
FEB, MAR, APR = date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 1)


@dataclass
class Rota:
    point: Point
    admin: Staff
    groups: list[ServingGroup]
    representative: Staff  # represents the first group


def build(db: Session, clock: Clock, *, groups: int = 5, per_month: int = 2) -> Rota:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Bielsko-Biała", volunteers=2)
    point.point.rota_groups_per_month = per_month
    weekly(db, point, admin, NOW, days="mon thu", start="16:00", end="21:00", seats=2)
    representative = create_staff(db, Role.helper)
    representative.email = "rep@example.org"
    made = []
    for n in range(groups):
        data = (
            ServingGroupCreate(name=f"Grupa {'ABCDE'[n]}", representative_id=representative.id)
            if n == 0
            else ServingGroupCreate(
                name=f"Grupa {'ABCDE'[n]}", contact_name=f"Rep {n}", contact_phone=number()
            )
        )
        made.append(rota.add_group(db, point.point, actor=admin, data=data))
    return Rota(point, admin, made, representative)


def covering(db: Session, built: Rota, month: date) -> list[str | None]:
    return [
        row.group.name if row.group else None
        for row in rota.month_shifts(db, built.point.point, month)
    ]


def generate(db: Session, built: Rota, month: date) -> None:
    rota.generate(db, built.point.point, month=month, actor=built.point.coordinator, now=NOW)


def test_each_month_goes_on_with_the_next_groups_and_skips_the_paused(
    db: Session, clock: Clock
) -> None:
    built = build(db, clock)
    generate(db, built, FEB)
    # Mondays and Thursdays of February: the first two groups in turn.
    assert covering(db, built, FEB) == ["Grupa A", "Grupa B"] * 4
    paused = built.groups[2]
    rota.update_group(
        db, built.point.point, paused, actor=built.admin, data=ServingGroupUpdate(paused=True)
    )

    generate(db, built, MAR)
    generate(db, built, APR)

    assert covering(db, built, MAR) == ["Grupa D", "Grupa E"] * 4 + ["Grupa D"]  # C paused
    assert covering(db, built, APR)[:2] == ["Grupa A", "Grupa B"]  # round to the beginning
    assert set(covering(db, built, APR)) == {"Grupa A", "Grupa B"}
    # The shifts are the local ones: 16:00 in Bielsko-Biała before and after the clock change.
    starts = [row.shift.starts_at for row in rota.month_shifts(db, built.point.point, MAR)]
    assert starts[0] == datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    assert starts[-1] == datetime(2027, 3, 29, 14, 0, tzinfo=UTC)


def test_generating_again_changes_nothing_and_tells_nobody_twice(db: Session, clock: Clock) -> None:
    built = build(db, clock)
    generate(db, built, FEB)
    first = covering(db, built, FEB)
    told = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.helpline_notice)).all()

    generate(db, built, FEB)
    generate(db, built, MAR)  # goes on after February's groups, whatever the second click did

    assert covering(db, built, FEB) == first
    assert covering(db, built, MAR)[:2] == ["Grupa C", "Grupa D"]
    feb = [row for row in _notices(db) if row.payload["about"] == "2027-02"]
    assert len(feb) == len(told) == 2  # A's representative (staff) and B's (contact phone)
    by_staff, by_phone = sorted(feb, key=lambda row: row.staff_id is None)
    assert by_staff.staff_id == built.representative.id
    assert by_phone.staff_id is None and by_phone.membership_id is None
    assert by_phone.payload["serving_group_id"] == built.groups[1].id


def _notices(db: Session) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == Kind.helpline_notice)
    return list(db.scalars(query.order_by(OutboxMessage.id)))


def test_a_hand_edit_survives_generating_again(db: Session, clock: Clock) -> None:
    built = build(db, clock)
    generate(db, built, FEB)
    [first, second, *_] = rota.month_shifts(db, built.point.point, FEB)
    coordinator = built.point.coordinator
    rota.set_group(db, built.point.point, first.shift, built.groups[4], actor=coordinator, now=NOW)
    rota.set_group(db, built.point.point, second.shift, None, actor=coordinator, now=NOW)

    generate(db, built, FEB)

    assert covering(db, built, FEB)[:3] == ["Grupa E", None, "Grupa A"]
    # E had no turn this month; its representative now hears of its one date.
    assert any(row.payload["serving_group_id"] == built.groups[4].id for row in _notices(db))


def test_a_month_without_shifts_is_a_clear_conflict(
    client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Bielsko-Biała", volunteers=0)
    rota.add_group(
        db, point.point, actor=admin, data=ServingGroupCreate(name="A", representative_id=admin.id)
    )
    headers = auth_headers(client, point.coordinator)
    url = f"/api/v1/helpline/contact-points/{point.point.id}/rota"

    empty = client.post(f"{url}/2027-02/generate", headers=headers)
    over = client.post(f"{url}/2026-12/generate", headers=headers)
    malformed = client.post(f"{url}/2027-13/generate", headers=headers)

    assert empty.status_code == 409
    assert "no coming shifts in 2027-02" in empty.json()["detail"]
    assert over.status_code == 422 and "month is over" in over.json()["detail"]
    assert malformed.status_code == 422


def test_with_every_group_paused_the_rota_says_so(db: Session, clock: Clock) -> None:
    built = build(db, clock, groups=1)
    rota.update_group(
        db,
        built.point.point,
        built.groups[0],
        actor=built.admin,
        data=ServingGroupUpdate(paused=True),
    )
    with pytest.raises(NoServingGroups, match="resume a paused one"):
        generate(db, built, FEB)


def test_the_representative_fills_the_seats_of_their_groups_shifts_only(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built = build(db, clock)
    generate(db, built, FEB)
    a_shift, b_shift = (row.shift for row in rota.month_shifts(db, built.point.point, FEB)[:2])
    headers = auth_headers(client, built.representative)
    url = f"/api/v1/helpline/contact-points/{built.point.point.id}/rota"
    volunteer = built.point.volunteers[0]

    month = client.get(f"{url}/2027-02", headers=headers)
    mine = client.post(
        f"{url}/shifts/{a_shift.id}/seats", json={"volunteer_id": volunteer.id}, headers=headers
    )
    theirs = client.post(
        f"{url}/shifts/{b_shift.id}/seats", json={"volunteer_id": volunteer.id}, headers=headers
    )

    assert month.status_code == 200
    assert month.json()["shifts"][0]["group_name"] == "Grupa A"
    assert mine.status_code == 200, mine.text
    assert mine.json()["seats"][0]["volunteer_id"] == volunteer.id
    assert theirs.status_code == 403 and "representative" in theirs.json()["detail"]


def test_a_group_serving_as_a_whole_rings_its_duty_mobile(db: Session, clock: Clock) -> None:
    built = build(db, clock)
    generate(db, built, FEB)
    mobile = duty_phone(db, built.point, built.admin, DutyPhoneKind.mobile, "grupa")
    [row, *_] = rota.month_shifts(db, built.point.point, FEB)
    rota.serve_whole(
        db,
        built.point.point,
        row.shift,
        built.point.duty["grupa"],
        actor=built.representative,
        now=NOW,
    )

    during = row.shift.starts_at + timedelta(minutes=5)
    assert [target.number for target in duty.on_duty(db, built.point.point.id, during)] == [mobile]
    [after] = [
        r for r in rota.month_shifts(db, built.point.point, FEB) if r.shift.id == row.shift.id
    ]
    assert after.assignment is not None and after.assignment.duty_phone_id is not None


def test_a_group_of_the_organisation_serves_under_its_own_name(db: Session, clock: Clock) -> None:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Bielsko-Biała", volunteers=0)
    group = create_group(db, now=NOW, name="Wtorkowa")

    serving = rota.add_group(
        db,
        point.point,
        actor=admin,
        data=ServingGroupCreate(group_id=group.id, representative_id=admin.id),
    )

    assert serving.name == "Wtorkowa" and serving.group_id == group.id


def test_a_representatives_phone_is_stored_encrypted(db: Session, clock: Clock) -> None:
    built = build(db, clock, groups=2)
    phone = built.groups[1].contact_phone
    assert phone is not None
    db.flush()
    raw = db.connection().exec_driver_sql("SELECT contact_phone FROM serving_groups").all()
    assert raw and all(phone.lstrip("+") not in str(row) for row in raw)


def test_a_representative_is_changed_from_a_phone_to_an_account_and_back(
    db: Session, clock: Clock
) -> None:
    built = build(db, clock, groups=2)
    group, point = built.groups[1], built.point.point
    update = ServingGroupUpdate(representative_id=built.representative.id)
    rota.update_group(db, point, group, actor=built.admin, data=update)
    assert group.contact_phone is None and group.contact_phone_index is None

    with pytest.raises(RepresentativeIncomplete):
        rota.update_group(
            db, point, group, actor=built.admin, data=ServingGroupUpdate(contact_name="Ola")
        )
    update = ServingGroupUpdate(contact_name="Ola", contact_phone="+48600555999")
    rota.update_group(db, point, group, actor=built.admin, data=update)
    assert group.representative_id is None and group.contact_phone == "+48600555999"
    assert group.contact_phone_index is not None
