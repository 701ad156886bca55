"""The live conference behind a small Protocol: Twilio's REST API, or an in-memory fake.

Both implementations raise only our own exceptions: :class:`ParticipantGone` when Twilio no
longer knows the call or conference (error 20404), :class:`ControlUnavailable` for a Twilio 5xx,
a timeout or a connection failure, :class:`ControlRejected` for any other refusal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.twilio_http import get_twilio_client


class ControlError(Exception):
    """A conference control did not take effect."""


class ParticipantGone(ControlError):
    """The call (or the whole conference) is no longer there."""


class ControlUnavailable(ControlError):
    """Twilio failed or did not answer in time; trying again later may work."""


class ControlRejected(ControlError):
    """Twilio refused the request (a code other than 'not found')."""


class ConferenceControl(Protocol):
    def set_muted(self, conference_sid: str, call_sid: str, *, muted: bool) -> None: ...

    def set_hold(self, conference_sid: str, call_sid: str, *, hold: bool) -> None: ...

    def remove(self, conference_sid: str, call_sid: str) -> None: ...

    def announce(self, conference_sid: str, url: str) -> None: ...

    def end(self, conference_sid: str) -> None: ...

    def set_time_limit(self, call_sid: str, seconds: int) -> None: ...


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn SDK and transport errors into ours; the message names the operation, never people."""
    try:
        yield
    except TwilioRestException as exc:
        if exc.status == 404 or exc.code == 20404:
            raise ParticipantGone(f"{what}: not found at Twilio") from exc
        if exc.status >= 500 or exc.status == 429:
            raise ControlUnavailable(f"{what}: Twilio answered {exc.status}") from exc
        raise ControlRejected(f"{what}: Twilio refused (error {exc.code})") from exc
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise ControlUnavailable(f"{what}: Twilio did not answer in time") from exc


class TwilioConferenceControl:
    """Conference and participant updates through the twilio SDK (an injected client)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def set_muted(self, conference_sid: str, call_sid: str, *, muted: bool) -> None:
        with _translated("mute" if muted else "unmute"):
            self.client.conferences(conference_sid).participants(call_sid).update(muted=muted)

    def set_hold(self, conference_sid: str, call_sid: str, *, hold: bool) -> None:
        with _translated("hold" if hold else "resume"):
            self.client.conferences(conference_sid).participants(call_sid).update(hold=hold)

    def remove(self, conference_sid: str, call_sid: str) -> None:
        with _translated("remove"):
            self.client.conferences(conference_sid).participants(call_sid).delete()

    def announce(self, conference_sid: str, url: str) -> None:
        with _translated("announce"):
            self.client.conferences(conference_sid).update(announce_url=url, announce_method="POST")

    def end(self, conference_sid: str) -> None:
        with _translated("end"):
            self.client.conferences(conference_sid).update(status="completed")

    def set_time_limit(self, call_sid: str, seconds: int) -> None:
        with _translated("time limit"):
            self.client.calls(call_sid).update(time_limit=seconds)


@dataclass
class FakeConferenceControl:
    """In memory: records every action; ``gone`` SIDs answer like Twilio's 20404.

    Used by unit tests and, when no Twilio account is configured (development without the
    demo's Twilio emulator), by the server itself: then there is no real conference to act on.
    """

    actions: list[tuple[str, ...]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    unavailable: bool = False

    def _act(self, *action: str) -> None:
        if self.unavailable:
            raise ControlUnavailable(f"{action[0]}: the fake provider is down")
        if self.gone & set(action[1:]):
            raise ParticipantGone(f"{action[0]}: not found")
        self.actions.append(action)

    def set_muted(self, conference_sid: str, call_sid: str, *, muted: bool) -> None:
        self._act("mute" if muted else "unmute", conference_sid, call_sid)

    def set_hold(self, conference_sid: str, call_sid: str, *, hold: bool) -> None:
        self._act("hold" if hold else "resume", conference_sid, call_sid)

    def remove(self, conference_sid: str, call_sid: str) -> None:
        self._act("remove", conference_sid, call_sid)

    def announce(self, conference_sid: str, url: str) -> None:
        self._act("announce", conference_sid, url)

    def end(self, conference_sid: str) -> None:
        self._act("end", conference_sid)

    def set_time_limit(self, call_sid: str, seconds: int) -> None:
        self._act("time_limit", call_sid, str(seconds))


_local_control = FakeConferenceControl()


def get_conference_control() -> ConferenceControl:
    """Twilio when an account is configured; otherwise the local in-memory control."""
    client = get_twilio_client()
    if client is None:
        return _local_control
    return TwilioConferenceControl(client)
