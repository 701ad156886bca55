"""The demo's helpline on terminal phones: the server as it runs, the emulator process's phone
API, ``supportline call`` as a caller and ``supportline receive`` as the phone of a volunteer on
duty. The volunteer's screen shows the helpline's number, never the caller's; Enter answers and
1 takes the call. A call to the national line shows Warszawa's own line, a number of the account
the emulator reads from the server's lines."""

from __future__ import annotations

from core.database import utcnow
from supportline import demo, demo_helpline
from supportline.demo_helpline import HELPLINE_CALLER
from supportline.phone import IN_CONFERENCE, RINGING
from tests.fixtures.phones import EmulatedLiveServer, dial, receive

GREETING = "Tu punkt kontaktowy Warszawa. Łączymy z osobą dyżurującą."
WHISPER = "Telefon zaufania, Warszawa. Naciśnij 1, aby odebrać."


def seeded(emulated: EmulatedLiveServer) -> tuple[str, str]:
    """``supportline demo --meeting-now`` on the live server's database: Warszawa's line, and
    the phone of its first volunteer, on duty now."""
    with emulated.server.sessions.begin() as session:
        seeded = demo.seed(session, now=utcnow(), meeting_now=True)
        warszawa = seeded.helpline.points[0]
        assert warszawa.on_duty_now[:1] == ["demo-warszawa-1"]
        return warszawa.line, warszawa.volunteers[0][1]


def test_a_caller_reaches_the_volunteer_on_duty_who_presses_1(
    emulated_live_server: EmulatedLiveServer,
) -> None:
    line, volunteer_phone = seeded(emulated_live_server)
    emulator = emulated_live_server.emulator.url
    volunteer = receive(emulator, volunteer_phone)
    volunteer.heard(f"[waiting for calls to {volunteer_phone}]")

    caller = dial(emulator, line, HELPLINE_CALLER)

    caller.heard(GREETING)
    volunteer.heard(f"[ringing: {line}] {RINGING}")
    volunteer.type("")  # Enter answers
    volunteer.heard(WHISPER)
    volunteer.type("1")
    volunteer.heard("[connected]")
    caller.heard("[connected]")
    volunteer.type("")  # Enter hangs up
    screen = volunteer.ended()
    assert caller.ended()[-2:] == ["Dziękujemy za telefon. Do widzenia.", "[call ended]"]
    assert screen[-3:] == ["[connected]", IN_CONFERENCE, "[hung up]"]
    assert not any(HELPLINE_CALLER in printed for printed in screen)


def test_the_national_line_rings_warszawa_showing_its_line_and_only_the_new_call(
    emulated_live_server: EmulatedLiveServer,
) -> None:
    line, volunteer_phone = seeded(emulated_live_server)
    emulator = emulated_live_server.emulator.url
    first = receive(emulator, volunteer_phone)
    dial(emulator, line, HELPLINE_CALLER)
    first.heard(f"[ringing: {line}] {RINGING}")
    first.keys.put(None)  # ctrl-D declines
    assert first.ended()[-1] == "[declined]"

    again = receive(emulator, volunteer_phone)  # the same phone, waiting for the next call
    again.heard(f"[waiting for calls to {volunteer_phone}]")
    national = dial(emulator, demo_helpline.NATIONAL_LINE, HELPLINE_CALLER)

    national.heard("[ringing]")
    screen = again.heard(f"[ringing: {line}] {RINGING}")
    assert screen.count(f"[ringing: {line}] {RINGING}") == 1  # not the call it declined
    again.type("", "1").heard("[connected]")
    national.heard("[connected]")
    again.type("")
    again.ended()
    assert "13214" not in " ".join(emulated_live_server.emulator.board.engine.errors)
