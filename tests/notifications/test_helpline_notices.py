"""The helpline's notices about no one shift: a serving group's dates to its representative (an
e-mail to a staff account, an SMS to a contact phone decrypted only when it is sent), and the
candidacy and coordinator's-term notices — each at 09:00 local on its day, right across the clock
changes in Warsaw and London, and each once however often the job runs."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role, Staff
from core import pii
from helpline import mentoring, rota, tasks, terms
from helpline.rota_schemas import RotaSettings, ServingGroupCreate
from notifications import optout, render
from notifications.models import Kind, Status
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeMailer, FakeSms

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
FEB = date(2027, 2, 1)
REP_PHONE = "+48600555001"


def rota_point(db: Session, clock: Clock) -> tuple[Point, Staff]:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Bielsko-Biała", volunteers=1)
    point.point.rota_groups_per_month = 2
    weekly(db, point, admin, NOW, days="mon thu", start="16:00", end="21:00", seats=2)
    representative = create_staff(db, Role.helper)
    representative.email = "rep@example.org"
    for data in (
        ServingGroupCreate(name="Grupa A", representative_id=representative.id),
        ServingGroupCreate(name="Grupa B", contact_name="Jan Kowalski", contact_phone=REP_PHONE),
    ):
        rota.add_group(db, point.point, actor=admin, data=data)
    return point, representative


def test_each_representative_gets_their_groups_dates_once(
    db: Session,
    clock: Clock,
    *,
    run_dispatch: Dispatch,
    fake_sms: FakeSms,
    fake_mailer: FakeMailer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    point, _ = rota_point(db, clock)
    rota.generate(db, point.point, month=FEB, actor=point.coordinator, now=NOW)
    run_dispatch()
    rota.generate(db, point.point, month=FEB, actor=point.coordinator, now=NOW)  # again
    run_dispatch()

    [sms] = fake_sms.sent
    assert sms.to == REP_PHONE and sms.from_ == point.line
    assert sms.body == (
        "Telefon zaufania Bielsko-Biała: dyżury Twojej grupy: czw. 4 lut 16:00, "
        "czw. 11 lut 16:00, czw. 18 lut 16:00, czw. 25 lut 16:00. "
        "Przekaż koordynatorowi, kto przyjdzie."
    )
    [mail] = fake_mailer.sent
    assert mail["To"] == "rep@example.org"
    assert "pon. 1 lut 16:00" in mail.get_body().get_content()  # type: ignore[union-attr]
    logged = " ".join(str(record.__dict__) for record in caplog.records)  # fields too
    for secret in ("Jan Kowalski", REP_PHONE, REP_PHONE.lstrip("+"), "Grupa"):
        assert secret not in sms.body
        assert secret not in logged
    assert all(row.status is Status.sent for row in rows(db, Kind.helpline_notice))


def test_a_representative_who_replied_stop_is_not_written_to(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    point, _ = rota_point(db, clock)
    optout.opt_out(db, phone_index=pii.phone_index(REP_PHONE), now=NOW)
    rota.generate(db, point.point, month=FEB, actor=point.coordinator, now=NOW)
    run_dispatch()

    assert fake_sms.sent == []
    by_phone = [row for row in rows(db, Kind.helpline_notice) if row.staff_id is None]
    assert [row.status for row in by_phone] == [Status.skipped]


# Warsaw and London put their clocks forward on Sunday 28 March 2027 (01:00 UTC) and back on
# Sunday 31 October 2027 (01:00 UTC).
ZONES = [
    ("Europe/Warsaw", "pl", datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # 09:00 CEST
    ("Europe/London", "en", datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),  # 09:00 BST
]


@pytest.mark.parametrize(("zone", "language", "due"), ZONES)
def test_the_coordinators_hear_a_month_before_a_candidacy_ends(
    db: Session,
    clock: Clock,
    *,
    run_dispatch: Dispatch,
    fake_mailer: FakeMailer,
    zone: str,
    language: str,
    due: datetime,
) -> None:
    clock.set(datetime(2026, 4, 1, tzinfo=UTC))
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Punkt", zone=zone, language=language, volunteers=2)
    point.coordinator.email = "coordinator@example.org"
    candidacy = mentoring.add_candidate(
        db,
        point.point,
        actor=admin,
        volunteer=point.volunteers[0],
        mentor=point.volunteers[1],
        starts_on=date(2026, 4, 28),
        months=12,
        now=clock.now(),
    )
    assert candidacy.ends_on == date(2027, 4, 28)

    assert mentoring.notify_candidacies_ending(db, now=due - timedelta(minutes=1)) == 0
    assert mentoring.notify_candidacies_ending(db, now=due) == 1
    assert mentoring.notify_candidacies_ending(db, now=due + timedelta(hours=1)) == 0  # once
    clock.set(due)
    run_dispatch()

    [mail] = fake_mailer.sent
    assert "28" in str(mail["Subject"]) and "Punkt" in str(mail["Subject"])
    # Extended: a new end, a new notice before it; confirmed: nothing more.
    mentoring.extend(db, candidacy, actor=admin, months=3)
    later = due + timedelta(days=92)
    assert mentoring.notify_candidacies_ending(db, now=later) == 1
    mentoring.confirm(db, candidacy, actor=admin)
    assert mentoring.notify_candidacies_ending(db, now=later + timedelta(days=1)) == 0


TERM_ZONES = [
    ("Europe/Warsaw", datetime(2027, 10, 31, 8, 0, tzinfo=UTC)),  # 09:00 CET, just changed
    ("Europe/London", datetime(2027, 10, 31, 9, 0, tzinfo=UTC)),  # 09:00 GMT
]


@pytest.mark.parametrize(("zone", "due"), TERM_ZONES)
def test_the_admins_hear_two_months_before_a_coordinators_term_ends(
    db: Session,
    clock: Clock,
    sessions: sessionmaker[Session],
    zone: str,
    due: datetime,
) -> None:
    clock.set(datetime(2026, 1, 5, tzinfo=UTC))
    admin = create_staff(db, Role.admin)
    admin.email = "admin@example.org"
    point = contact_point(db, admin, name="Punkt", zone=zone, volunteers=0)
    terms.update_settings(
        db,
        point.point,
        actor=admin,
        data=RotaSettings(coordinator_term_start=date(2025, 12, 31)),
    )
    assert point.point.coordinator_term_end == date(2027, 12, 31)  # two years by default
    db.flush()

    tasks.terms_ending_job(sessions, due - timedelta(minutes=1))
    assert [row for row in rows(db, Kind.helpline_notice) if row.staff_id == admin.id] == []
    tasks.terms_ending_job(sessions, due)
    tasks.terms_ending_job(sessions, due + timedelta(minutes=5))  # once

    notices = [row for row in rows(db, Kind.helpline_notice) if row.staff_id == admin.id]
    assert [(row.payload["event"], row.payload["about"]) for row in notices] == [
        ("term_ending", "2027-12-31")
    ]


@pytest.mark.parametrize("language", ["en", "pl", "he"])
@pytest.mark.parametrize("event", ["rota_dates", "candidacy_ending", "term_ending"])
def test_every_notice_reads_in_every_language(language: str, event: str) -> None:
    values = {"event": event, "point": "Punkt", "day": "28 kwietnia 2027", "dates": "czw. 4 lut"}
    sms = render.text(language, "helpline_notice", console=False, **values)
    body = render.text(language, "helpline_body", **values)
    assert sms.startswith(("Helpline Punkt:", "Telefon zaufania Punkt:", "קו התמיכה Punkt:"))
    shown = values["dates"] if event == "rota_dates" else values["day"]
    assert shown in sms and shown in body
