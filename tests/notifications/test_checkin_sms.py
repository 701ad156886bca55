"""A volunteer's SMS replies through the real ``/twilio/sms`` webhook, signed as Twilio signs:
the shift-start SMS asks for the check-in word in the contact point's language, the reply checks
the seat in, and STOP and HELP still belong to the notifications, a volunteer's too."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from core import pii
from helpline import checkin, seats, shifts
from helpline.cover_texts import CoverReply, text
from helpline.models import CheckInBy, Seat, Shift
from notifications.models import SmsOptOut
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly
from tests.notifications.conftest import Dispatch
from tests.notifications.fakes import FakeSms
from tests.notifications.test_router import sms_reply

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Language:
    code: str
    zone: str
    place: str
    word: str  # what the volunteer replies
    start_sms: str
    checked_in: str
    already: str
    not_on_duty: str
    words: str


LANGUAGES = [
    Language(
        "en",
        "Europe/London",
        "Leeds",
        "ok!",
        "Duty at Leeds 16:00–21:00 starts now. Reply OK when you are there.",
        "Thank you, you are checked in for the duty 16:00–21:00.",
        "You are already checked in for the duty 16:00–21:00.",
        "You are not on duty now, so there is nothing to check in for.",
        "Reply OK when your duty starts, NO if you cannot come, YES to take a duty offered to you.",
    ),
    Language(
        "pl",
        "Europe/Warsaw",
        "Kraków",
        "Jestem",
        "Dyżur w Kraków 16:00–21:00 zaczyna się teraz. Odpisz JESTEM, gdy będziesz na miejscu.",
        "Dziękujemy, obecność na dyżurze 16:00–21:00 potwierdzona.",
        "Obecność na dyżurze 16:00–21:00 jest już potwierdzona.",
        "Nie masz teraz dyżuru, więc nie ma czego potwierdzać.",
        "Odpisz JESTEM, gdy zaczynasz dyżur, NIE, jeśli nie możesz przyjść, TAK, aby przyjąć "
        "zaproponowany dyżur.",
    ),
    Language(
        "he",
        "Asia/Jerusalem",
        "חיפה",
        "כאן",
        "המשמרת בחיפה 16:00–21:00 מתחילה עכשיו. השב כאן כשאת/ה במקום.",
        "תודה, הנוכחות שלך במשמרת 16:00–21:00 נרשמה.",
        "הנוכחות שלך במשמרת 16:00–21:00 כבר נרשמה.",
        "אין לך משמרת עכשיו, אז אין נוכחות לרשום.",
        "השב כאן כשהמשמרת מתחילה, לא אם אינך יכול/ה להגיע, כן כדי לקחת משמרת שהוצעה לך.",
    ),
]


def monday_duty(db: Session, clock: Clock, language: str, zone: str, place: str) -> Point:
    """A contact point with a Monday 16:00–21:00 shift and its first volunteer on the seat."""
    clock.set(MONDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name=place, language=language, zone=zone, volunteers=2)
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="21:00", seats=2)
    seats.assign(
        db,
        point.point,
        monday_shift(db, point),
        point.volunteers[0],
        actor=admin,
        duty_phone=None,
        now=clock.now(),
    )
    return point


def monday_shift(db: Session, point: Point) -> Shift:
    [shift] = shifts.shifts_between(db, point.point, MONDAY.date(), MONDAY.date())
    return shift


def seat_of(db: Session, point: Point, index: int = 0) -> Seat:
    seat = db.scalar(select(Seat).where(Seat.volunteer_id == point.volunteers[index].id))
    assert seat is not None
    db.refresh(seat)
    return seat


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.code)
def test_the_shift_start_sms_and_the_reply_that_checks_in(  # noqa: PLR0917
    client: TestClient,
    db: Session,
    clock: Clock,
    run_dispatch: Dispatch,
    fake_sms: FakeSms,
    lang: Language,
) -> None:
    point = monday_duty(db, clock, lang.code, lang.zone, lang.place)
    shift = monday_shift(db, point)
    clock.set(shift.starts_at)
    assert checkin.send_duty_start(db, now=clock.now()) == 1
    run_dispatch()

    [sent] = fake_sms.sent
    assert (sent.to, sent.from_, sent.body) == (point.phones[0], point.line, lang.start_sms)

    clock.advance(minutes=3)
    assert sms_reply(client, lang.word, sender=point.phones[0], to=point.line) == lang.checked_in
    seat = seat_of(db, point)
    assert (seat.checked_in_at, seat.checked_in_by) == (clock.now(), CheckInBy.sms)
    assert sms_reply(client, lang.word, sender=point.phones[0], to=point.line) == lang.already
    # The other volunteer has no seat on this shift: nothing to check in for.
    assert sms_reply(client, lang.word, sender=point.phones[1], to=point.line) == lang.not_on_duty
    # Any other word: the words a volunteer may reply, in their language.
    assert sms_reply(client, "hello", sender=point.phones[0], to=point.line) == lang.words


def test_a_check_in_opens_half_an_hour_before_the_start_and_closes_at_the_end(
    client: TestClient, db: Session, clock: Clock
) -> None:
    lang = LANGUAGES[1]
    point = monday_duty(db, clock, lang.code, lang.zone, lang.place)
    shift = monday_shift(db, point)

    clock.set(shift.starts_at - timedelta(minutes=31))
    assert sms_reply(client, "JESTEM", sender=point.phones[0]) == lang.not_on_duty
    clock.set(shift.ends_at)
    assert sms_reply(client, "JESTEM", sender=point.phones[0]) == lang.not_on_duty
    clock.set(shift.starts_at - timedelta(minutes=30))
    assert sms_reply(client, "JESTEM", sender=point.phones[0]) == lang.checked_in


def test_stop_and_help_still_win_for_a_volunteer_and_yes_still_opts_in(
    client: TestClient, db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    lang = LANGUAGES[1]
    point = monday_duty(db, clock, lang.code, lang.zone, lang.place)
    clock.set(monday_shift(db, point).starts_at)
    index = pii.phone_index(point.phones[0])

    assert sms_reply(client, "STOP", sender=point.phones[0]) is None  # Twilio answered
    assert db.scalar(select(SmsOptOut).where(SmsOptOut.phone_index == index)) is not None
    checkin.send_duty_start(db, now=clock.now())
    run_dispatch()
    assert fake_sms.sent == []  # no shift-start SMS to a number that replied STOP
    assert sms_reply(client, "KONIEC", sender=point.phones[0], to=point.line) == (
        "Nie dostaniesz już przypomnień. Odpisz START, aby je wznowić."
    )
    assert seat_of(db, point).checked_in_at is None
    help_reply = sms_reply(client, "POMOC", sender=point.phones[0])
    assert help_reply is not None and help_reply.startswith("Please call the helpline")

    # YES / TAK: a reply to the helpline (no cover request is open) and, YES being Twilio's own
    # opt-in word, the opt-in is recorded as Twilio recorded it.
    assert sms_reply(client, "YES", sender=point.phones[0]) == (text("pl", CoverReply.no_request))
    assert db.scalar(select(SmsOptOut).where(SmsOptOut.phone_index == index)) is None
    # NIE: the helpline's too, not a keyword (no reminded duty to give up here).
    assert sms_reply(client, "nie", sender=point.phones[0]) == text(
        "pl", CoverReply.nothing_to_decline
    )


def test_a_number_that_is_no_volunteers_gets_no_helpline_answer(
    client: TestClient, db: Session, clock: Clock
) -> None:
    lang = LANGUAGES[0]
    point = monday_duty(db, clock, lang.code, lang.zone, lang.place)
    clock.set(monday_shift(db, point).starts_at)
    assert sms_reply(client, "OK", sender="+447700900123", to=point.line) is None
    assert sms_reply(client, "hello", sender="+447700900123", to=point.line) is None


def test_replies_and_logs_carry_no_number_and_no_name(
    client: TestClient, db: Session, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    lang = LANGUAGES[0]
    point = monday_duty(db, clock, lang.code, lang.zone, lang.place)
    clock.set(monday_shift(db, point).starts_at)
    caplog.set_level(logging.DEBUG)
    replies = [
        sms_reply(client, body, sender=phone, to=point.line)
        for body in ("OK", "OK", "what?", "YES", "NO")
        for phone in point.phones
    ]
    logged = " ".join(str(record.__dict__) for record in caplog.records)  # with the extra fields
    told = " ".join(reply or "" for reply in replies) + logged
    for secret in (*point.phones, *(staff.username for staff in point.staff)):
        assert secret not in told
        assert secret.lstrip("+") not in told
