"""Giving a seat up and covering it: a NO to the reminder frees the seat, the volunteers who take
cover requests are asked, the first YES takes it and the others hear it is taken; the replies in
the contact point's language, the SMS to the phones the seats ring, nothing about anyone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from helpline import cover, reminders, seats, shifts
from helpline.exceptions import CoverClashes, CoverTaken
from helpline.models import CoverRequest, NotifyBy, Shift, Volunteer
from notifications.delivery import Providers
from notifications.models import Channel, Kind, OutboxMessage
from tests.clock import Clock
from tests.factories import create_staff
from tests.fixtures.settings import Change
from tests.helpline.world import Point, contact_point, weekly
from tests.notifications.conftest import dispatcher
from tests.notifications.fakes import FakeMailer, FakeSms
from tests.notifications.test_router import sms_reply

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
THURSDAY = MONDAY.date() + timedelta(days=3)  # 16:00–21:00 in Warsaw: 15:00–20:00 UTC
EVENING = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # Wednesday 18:00 in Warsaw: the reminder


@dataclass
class Team:
    point: Point
    shift: Shift

    @property
    def seated(self) -> Volunteer:  # on the shift, reminded, replies NO
        return self.point.volunteers[0]

    @property
    def first(self) -> Volunteer:  # takes cover requests, free then
        return self.point.volunteers[1]

    @property
    def second(self) -> Volunteer:  # takes cover requests, free then
        return self.point.volunteers[2]

    @property
    def busy(self) -> Volunteer:  # takes cover requests, but sits on the shift already
        return self.point.volunteers[3]


def team(db: Session, clock: Clock, *, language: str = "pl", zone: str = "Europe/Warsaw") -> Team:
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", language=language, zone=zone, volunteers=5)
    point.coordinator.email = "coordinator@example.org"
    point.coordinator.phone = "+48600999000"
    for volunteer in point.volunteers[:4]:
        volunteer.cover_requests = True  # the fifth does not take cover requests
    weekly(db, point, admin, MONDAY, days="thu", start="16:00", end="21:00", seats=2)
    [shift] = shifts.shifts_between(db, point.point, THURSDAY, THURSDAY)
    built = Team(point, shift)
    seats.sign_up(db, point.point, shift, built.seated, now=MONDAY)
    seats.sign_up(db, point.point, shift, built.busy, now=MONDAY)
    return built


def duty_rows(db: Session, event: str) -> list[OutboxMessage]:
    db.flush()
    return [
        row
        for row in db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.duty_notice))
        if row.payload["event"] == event
    ]


def staff_of(*volunteers: Volunteer) -> set[int]:
    return {volunteer.staff_id for volunteer in volunteers}


def sent_sms(db: Session, clock: Clock) -> FakeSms:
    """What the outbox's dispatcher sends now, by SMS."""
    fake_sms = FakeSms()
    sessions = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    dispatcher(db, sessions, Providers(sms=fake_sms, mailer=FakeMailer()), clock)()
    return fake_sms


def test_a_no_frees_the_seat_and_the_first_yes_takes_it(db: Session, clock: Clock) -> None:
    world = team(db, clock)
    assert reminders.queue_due(db, now=EVENING) == 2
    now = EVENING + timedelta(minutes=5)

    reply = cover.reply_decline(db, volunteer=world.seated, now=now)

    assert reply == (
        "Dziękujemy za wiadomość. Nie masz już dyżuru (czwartek 5 marca, 16:00); "
        "prosimy innych o zastępstwo."
    )
    assert world.seated.id not in {seat.volunteer_id for seat in world.shift.seats}
    # Inside the 24-hour cut-off: the coordinator is told by SMS, not an e-mail read tomorrow.
    [urgent] = duty_rows(db, "seat_given_up_late")
    assert urgent.staff_id == world.point.coordinator.id and urgent.channel is Channel.sms
    asked = duty_rows(db, "cover_needed")
    assert {row.staff_id for row in asked} == staff_of(world.first, world.second)

    assert cover.reply_accept(db, volunteer=world.first, now=now) == (
        "Dziękujemy: masz dyżur (czwartek 5 marca, 16:00–21:00)."
    )
    assert cover.reply_accept(db, volunteer=world.second, now=now) == (
        "Ten dyżur jest już zajęty. Mimo to dziękujemy."
    )
    seated = {seat.volunteer_id for seat in world.shift.seats}
    assert seated == {world.first.id, world.busy.id}
    [filled] = duty_rows(db, "cover_filled")
    assert filled.staff_id == world.second.staff_id
    [covered] = duty_rows(db, "seat_covered")
    assert covered.staff_id == world.point.coordinator.id

    clock.set(now)
    fake_sms = sent_sms(db, clock)
    to_second = [sms.body for sms in fake_sms.sent if sms.to == world.point.phones[2]]
    assert to_second == [
        "Potrzebne zastępstwo: Warszawa czwartek 5 marca 16:00–21:00. Odpisz TAK, aby je wziąć.",
        "Zastępstwo znalezione: Warszawa czwartek 5 marca 16:00–21:00. Dziękujemy.",
    ]
    names = {staff.username for staff in world.point.staff} | {world.point.coordinator.username}
    numbers = {phone.lstrip("+") for phone in world.point.phones}
    for sms in fake_sms.sent:
        assert not any(word in sms.body for word in names | numbers), sms.body


REPLIES = {
    "en": (
        "Thank you for letting us know. You are no longer on duty on Thursday 5 March at 16:00; "
        "we are asking others to cover it.",
        "Thank you: you are on duty on Thursday 5 March at 16:00–21:00.",
        "This duty has already been taken. Thank you all the same.",
    ),
    "pl": (
        "Dziękujemy za wiadomość. Nie masz już dyżuru (czwartek 5 marca, 16:00); "
        "prosimy innych o zastępstwo.",
        "Dziękujemy: masz dyżur (czwartek 5 marca, 16:00–21:00).",
        "Ten dyżur jest już zajęty. Mimo to dziękujemy.",
    ),
    "he": (
        "תודה על העדכון. כבר אינך במשמרת ביום חמישי 5 מרץ בשעה 16:00; אנחנו מבקשים מאחרים להחליף.",
        "תודה: יש לך משמרת ביום חמישי 5 מרץ בשעה 16:00–21:00.",
        "המשמרת הזאת כבר נלקחה. תודה בכל זאת.",
    ),
}


@pytest.mark.parametrize("language", sorted(REPLIES))
def test_the_replies_are_in_the_contact_points_language(
    db: Session, clock: Clock, language: str
) -> None:
    zone = "Asia/Jerusalem" if language == "he" else "Europe/Warsaw"
    world = team(db, clock, language=language, zone=zone)
    reminders.queue_due(db, now=EVENING)
    declined, accepted, taken = REPLIES[language]

    assert cover.reply_decline(db, volunteer=world.seated, now=EVENING) == declined
    assert cover.reply_accept(db, volunteer=world.first, now=EVENING) == accepted
    assert cover.reply_accept(db, volunteer=world.second, now=EVENING) == taken


WORDS = {"en": ("NO", "YES"), "pl": ("nie", "Tak!"), "he": ("לא", "כן")}


@pytest.mark.parametrize("language", sorted(REPLIES))
def test_no_and_yes_by_sms_round_trip_through_the_webhook(
    client: TestClient, db: Session, clock: Clock, language: str
) -> None:
    zone = "Asia/Jerusalem" if language == "he" else "Europe/Warsaw"
    world = team(db, clock, language=language, zone=zone)
    reminders.queue_due(db, now=EVENING)
    clock.set(EVENING)
    no, yes = WORDS[language]
    declined, accepted, taken = REPLIES[language]
    phones = world.point.phones

    assert sms_reply(client, no, sender=phones[0], to=world.point.line) == declined
    assert sms_reply(client, yes, sender=phones[1], to=world.point.line) == accepted
    assert sms_reply(client, yes, sender=phones[2], to=world.point.line) == taken
    db.expire_all()
    seated = {seat.volunteer_id for seat in world.shift.seats}
    assert seated == {world.first.id, world.busy.id}


def test_a_no_without_a_reminded_duty_changes_nothing(db: Session, clock: Clock) -> None:
    world = team(db, clock)  # seated, but the reminder is not due yet

    reply = cover.reply_decline(db, volunteer=world.seated, now=MONDAY)

    assert reply.startswith("Nie znaleźliśmy nadchodzącego dyżuru")
    assert world.seated.id in {seat.volunteer_id for seat in world.shift.seats}
    assert db.scalars(select(CoverRequest)).all() == []


def test_a_yes_without_a_request_gets_a_clear_reply(db: Session, clock: Clock) -> None:
    world = team(db, clock)
    reply = cover.reply_accept(db, volunteer=world.first, now=MONDAY)
    assert reply == "Nie ma teraz prośby o zastępstwo. Mimo to dziękujemy."


def test_withdrawing_in_time_asks_for_cover_and_tells_the_coordinator_by_e_mail(
    db: Session, clock: Clock
) -> None:
    world = team(db, clock)

    seats.withdraw(db, world.point.point, world.shift, world.seated, now=MONDAY)

    [request] = db.scalars(select(CoverRequest)).all()
    assert (request.reason, request.given_up_by_id) == ("withdrawn", world.seated.id)
    assert request.deadline == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # an hour before 16:00
    [told] = duty_rows(db, "seat_given_up")
    assert told.channel is Channel.email
    assert {row.staff_id for row in duty_rows(db, "cover_needed")} == staff_of(
        world.first, world.second
    )


def test_the_volunteer_on_another_duty_then_cannot_take_it(db: Session, clock: Clock) -> None:
    world = team(db, clock)
    seats.withdraw(db, world.point.point, world.shift, world.seated, now=MONDAY)
    [request] = db.scalars(select(CoverRequest)).all()

    with pytest.raises(CoverClashes):
        cover.take(db, request=request, volunteer=world.busy, now=MONDAY)
    cover.take(db, request=request, volunteer=world.first, now=MONDAY)
    with pytest.raises(CoverTaken):
        cover.take(db, request=request, volunteer=world.second, now=MONDAY)


def test_a_no_show_still_seated_gets_a_seat_added_for_the_cover(db: Session, clock: Clock) -> None:
    world = team(db, clock)
    started = world.shift.starts_at + timedelta(minutes=15)

    request = cover.request_cover(db, shift=world.shift, now=started, reason="no_show")

    assert request is not None and request.position == 3
    assert request.deadline == started + timedelta(minutes=30)
    cover.take(db, request=request, volunteer=world.first, now=started)
    assert len(world.shift.seats) == 3
    assert cover.request_cover(db, shift=world.shift, now=started, reason="declined") is None


def test_no_name_number_or_address_in_cover_messages_or_logs(
    db: Session, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world = team(db, clock)
    world.point.staff[2].email = "second.volunteer@example.org"
    world.second.notify_by = NotifyBy.email
    reminders.queue_due(db, now=EVENING)
    cover.reply_decline(db, volunteer=world.seated, now=EVENING)
    cover.reply_accept(db, volunteer=world.first, now=EVENING)
    cover.reply_accept(db, volunteer=world.second, now=EVENING)
    clock.set(EVENING)
    fake_sms, fake_mailer = FakeSms(), FakeMailer()
    sessions = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    dispatcher(db, sessions, Providers(sms=fake_sms, mailer=fake_mailer), clock)()
    assert fake_sms.sent and fake_mailer.sent

    people = [*world.point.staff, world.point.coordinator]
    secrets = {staff.username for staff in people} | {"second.volunteer", "coordinator@"}
    secrets |= {phone.lstrip("+") for phone in [*world.point.phones, "+48600999000"]}
    texts = [sms.body for sms in fake_sms.sent]
    texts += [str(mail.get_body(("plain",))) + str(mail["Subject"]) for mail in fake_mailer.sent]
    texts += [f"{record.getMessage()} {record.__dict__}" for record in caplog.records]
    for text in texts:
        assert not any(secret in text for secret in secrets), text


def test_the_reminder_and_the_cover_request_ask_for_the_configured_words(
    db: Session, clock: Clock, settings: Change
) -> None:
    settings(helpline_decline_words="ODMAWIAM", helpline_accept_words="BIORĘ")
    world = team(db, clock)
    reminders.queue_due(db, now=EVENING)
    clock.set(EVENING)
    [reminder, *_] = [s.body for s in sent_sms(db, clock).sent if s.to == world.point.phones[0]]
    assert "Odpisz ODMAWIAM, jeśli nie możesz przyjść." in reminder

    cover.reply_decline(db, volunteer=world.seated, now=EVENING)
    asked = [s.body for s in sent_sms(db, clock).sent if s.to == world.point.phones[1]]
    assert asked and "Odpisz BIORĘ, aby je wziąć." in asked[-1]
    # And the words asked for are the words understood.
    assert cover.reply_accept(db, volunteer=world.first, now=EVENING).startswith("Dziękujemy")
