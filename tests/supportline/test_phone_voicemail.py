"""``supportline call`` to a contact point out of hours: the terminal phone hears the voicemail
prompt and the beep, speaks for a moment, and # ends the message, which the server keeps."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from helpline.models import Voicemail
from helpline.prompts import Prompt, text
from tests.factories import create_staff
from tests.fixtures.phones import dial, emulator_for
from tests.helpline.world import contact_point

CALLER = "+48601000778"


def test_the_terminal_phone_leaves_a_voicemail_out_of_hours(
    db: Session, client: TestClient
) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Londyn", language="en", volunteers=0)
    point.point.voicemail_out_of_hours = True  # no shifts at all: always out of hours
    db.flush()

    with emulator_for(client) as emulator:
        phone = dial(emulator.url, point.line, CALLER)
        phone.heard("[beep]")
        time.sleep(1.2)  # the emulator's clock is real: a second of message
        phone.type("#")
        printed = phone.ended()
        assert emulator.board.wait_idle(10)

    assert printed[-3:] == [
        text("en", Prompt.voicemail_saved),
        text("en", Prompt.goodbye),
        "[call ended]",
    ]
    assert text("en", Prompt.voicemail) in printed
    db.expire_all()
    [message] = db.scalars(select(Voicemail)).all()
    assert message.duration_seconds >= 1
