"""The terminal phone (``supportline call``, ``supportline receive``): a phone on the Twilio
emulator's phone network.

It dials a line through the emulator (``supportline twilio-emulator``), which runs the call as
Twilio would against the server — or it waits as the phone of a number until a ``<Dial>`` rings
it, shows the caller ID, and answers on Enter. The phone only shows what the call hears, as it
happens — speech as text, sounds in [brackets] — and sends what the person at the keyboard does:
keypad digits while the call is gathering them (Enter alone is silence), and in the conference
or a connected call Enter or ctrl-D to hang up.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

KEYPAD = "keypad> "
KEYS = frozenset("0123456789*#")
IN_CONFERENCE = "[Enter or ctrl-D hangs up]"
RINGING = "[Enter answers, ctrl-D declines]"
ON_THE_LINE = frozenset({"in_conference", "connected"})  # Enter hangs up
KEYED = ("gathering", "recording")  # keys are typed: a Gather's, or # ending a voicemail
POLL_SECONDS = 20.0  # how long one request for events may wait for one


def keyboard_line(prompt: str) -> str:
    """``input(prompt)`` without stdin's buffer. The keyboard thread may still wait for a line
    when the other party ends the call; at exit CPython aborts ("could not acquire lock for
    <stdin>") while a daemon thread is blocked in a buffered read, but not in ``os.read``."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = bytearray()
    while (byte := os.read(sys.stdin.fileno(), 1)) != b"\n":
        if not byte:
            if line:
                break
            raise EOFError
        line += byte
    return line.decode(errors="replace").removesuffix("\r")


class PhoneError(RuntimeError):
    """The emulator refused or broke the call."""


class Answer(Protocol):
    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


class Http(Protocol):
    """An HTTP client (httpx's, or a test client) with the emulator's address as its base."""

    def get(self, url: str, *, params: dict[str, Any]) -> Answer: ...

    def post(self, url: str, *, json: dict[str, str] | None = None) -> Answer: ...


class TerminalPhone:
    """One call: :meth:`call` returns when it has ended.

    ``read(prompt)`` returns a line the person typed, or raises ``EOFError``; it is called from
    a thread of its own, so what the call hears is shown while the person types.
    """

    def __init__(
        self, http: Http, *, read: Callable[[str], str], write: Callable[[str], None]
    ) -> None:
        self.http, self.read, self.write = http, read, write
        self.sid = ""
        self.stage = "ringing"
        self.stages = 0  # stage changes seen: the keyboard acts once on each
        self.changed = threading.Condition()
        self.acting = threading.Lock()  # held while the keyboard's request is on its way

    def call(self, line: str, caller: str) -> None:
        """Dial ``line`` from ``caller`` and show the call until it ends."""
        self.write(f"[dialling {line}]")
        self.sid = str(
            self._ok(self.http.post("/phone/calls", json={"line": line, "caller": caller}))["sid"]
        )
        self._follow()

    def receive(self, number: str) -> None:
        """Be the phone of ``number`` until one call that rings it ends: show its caller ID,
        answer on Enter (or decline on ctrl-D), then show the call as :meth:`call` does."""
        after = int(self._ok(self.http.post("/phone/numbers", json={"number": number}))["next"])
        self.write(f"[waiting for calls to {number}]")
        rings: list[dict[str, str]] = []
        while not rings:  # the calls that ring it from now on, not those before
            path = f"/phone/numbers/{number}/rings"
            params = {"after": after, "wait": POLL_SECONDS}
            rings = self._ok(self.http.get(path, params=params))["rings"]
        self.sid = rings[0]["sid"]
        self.write(f"[ringing: {rings[0]['caller_id']}] {RINGING}")
        if self._type("") is None:
            self._ok(self.http.post(f"/phone/calls/{self.sid}/decline"))
            self.write("[declined]")
            return
        self._ok(self.http.post(f"/phone/calls/{self.sid}/answer"))
        self._follow()

    def _follow(self) -> None:
        """Show the call until it ends, the keyboard acting on it meanwhile."""
        threading.Thread(target=self._keyboard, name="keyboard", daemon=True).start()
        try:
            self._listen()
        except KeyboardInterrupt:
            self.hang_up()
            raise
        finally:
            with self.acting, self.changed:  # the keyboard's last request is over; it stops
                self.stage, self.stages = "ended", self.stages + 1
                self.changed.notify_all()

    def hang_up(self) -> None:
        self._ok(self.http.post(f"/phone/calls/{self.sid}/hangup"))

    def _listen(self) -> None:
        after = 0
        while self.stage != "ended":
            answer = self.http.get(
                f"/phone/calls/{self.sid}/events", params={"after": after, "wait": POLL_SECONDS}
            )
            found = self._ok(answer)
            for event in found["events"]:
                self._show(event)
            after = int(found["next"])

    def _show(self, event: dict[str, str]) -> None:
        if "heard" in event:
            self.write(event["heard"])
        elif "sms" in event:
            self.write(f"[SMS from {event['from']}] {event['sms']}")
        elif "stage" in event:
            if event["stage"] in ON_THE_LINE:
                self.write(IN_CONFERENCE)
            with self.changed:
                self.stage = event["stage"]
                self.stages += 1
                self.changed.notify_all()

    def _keyboard(self) -> None:
        """Keys while gathering; Enter or ctrl-D in the conference or a connected call hangs
        up."""
        acted = 0
        while True:
            stage, acted = self._next_stage(acted)
            if stage == "ended":
                return
            keys = self._type(KEYPAD if stage in KEYED else "")
            with self.acting:
                if self.stage == "ended":  # while the person typed
                    return
                if keys is None or stage in ON_THE_LINE:
                    self.hang_up()
                    return
                self._ok(self.http.post(f"/phone/calls/{self.sid}/keys", json={"digits": keys}))

    def _next_stage(self, acted: int) -> tuple[str, int]:
        """The first stage after the ``acted`` first changes that the keyboard acts on."""
        with self.changed:
            self.changed.wait_for(
                lambda: self.stages > acted and self.stage in (*KEYED, *ON_THE_LINE, "ended")
            )
            return self.stage, self.stages

    def _type(self, prompt: str) -> str | None:
        """What was typed, once it is keypad keys only; None for ctrl-D."""
        while True:
            try:
                typed = self.read(prompt).strip()
            except EOFError:
                return None
            if all(key in KEYS for key in typed):
                return typed
            self.write("[a keypad has 0-9, * and # only]")

    def _ok(self, answer: Answer) -> Any:
        if answer.status_code >= 300:
            raise PhoneError(f"the emulator answered {answer.status_code}")
        return answer.json() if answer.status_code != 204 else None
