"""Twilio's copy of a voicemail behind a small Protocol: fetch its audio, then delete it.

Both implementations raise only our own exceptions: :class:`RecordingGone` when Twilio no longer
has the recording (404, error 20404), :class:`RecordingUnavailable` for anything worth trying
again (a 5xx, 429, a timeout, a refused connection, any other refusal). Messages carry status
codes and fixed words only, never a URL with an account or a person in it.

The Recording resource (https://www.twilio.com/docs/voice/api/recording): its media is the
resource's URI with ``.wav`` or ``.mp3`` for ``.json``, fetched with the account's credentials
(HTTP Basic auth, https://www.twilio.com/docs/usage/requests-to-twilio); DELETE removes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.twilio_http import RedirectingHttpClient, get_twilio_client

MEDIA_TIMEOUT_SECONDS = 30.0


class RecordingError(Exception):
    """Twilio's copy of a recording could not be fetched or deleted."""


class RecordingGone(RecordingError):
    """Twilio no longer has the recording (never will again)."""


class RecordingUnavailable(RecordingError):
    """Twilio failed, refused or did not answer in time; trying again later may work."""


@dataclass(frozen=True, slots=True)
class Audio:
    content: bytes
    media_type: str  # "audio/wav" or "audio/mpeg"


class Recordings(Protocol):
    def fetch(self, recording_sid: str) -> Audio: ...

    def delete(self, recording_sid: str) -> None: ...


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except TwilioRestException as exc:
        if exc.status == 404 or exc.code == 20404:
            raise RecordingGone(f"{what}: not found at Twilio") from exc
        raise RecordingUnavailable(f"{what}: Twilio answered {exc.status}") from exc
    except requests.Timeout as exc:
        raise RecordingUnavailable(f"{what}: Twilio did not answer in time") from exc
    except requests.ConnectionError as exc:
        raise RecordingUnavailable(f"{what}: Twilio could not be reached") from exc


class TwilioRecordings:
    """Through the twilio SDK's client (injected): its credentials, and its HTTP client, which
    keeps a Twilio emulator's requests on loopback. The SDK's own request returns text, so the
    audio's bytes are read from the same client's ``requests`` session."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def _media_url(self, recording_sid: str) -> str:
        account = self.client.account_sid
        url = f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{recording_sid}.wav"
        http = self.client.http_client
        return http.target_url(url) if isinstance(http, RedirectingHttpClient) else url

    def fetch(self, recording_sid: str) -> Audio:
        """The resource first (is it there, is it ``completed``?), then its audio."""
        with _translated("fetch recording"):
            resource = self.client.recordings(recording_sid).fetch()
            if resource.status != "completed":
                raise RecordingUnavailable(f"fetch recording: not ready ({resource.status})")
            return self._media(recording_sid)

    def _media(self, recording_sid: str) -> Audio:
        http = self.client.http_client
        session = getattr(http, "session", None) or requests.Session()
        emulated = isinstance(http, RedirectingHttpClient) and http.api_url is not None
        response = session.get(
            self._media_url(recording_sid),
            auth=(self.client.username, self.client.password),
            timeout=getattr(http, "timeout", None) or MEDIA_TIMEOUT_SECONDS,
            allow_redirects=not emulated,  # an emulator's traffic stays on loopback
        )
        if response.status_code == 404:
            # The resource was there a moment ago: the media may not be yet.
            raise RecordingUnavailable("fetch recording: the audio is not there (404)")
        if response.status_code != 200 or not response.content:
            raise RecordingUnavailable(f"fetch recording: Twilio answered {response.status_code}")
        media_type = response.headers.get("content-type", "audio/wav").split(";")[0]
        return Audio(response.content, "audio/wav" if "wav" in media_type else media_type)

    def delete(self, recording_sid: str) -> None:
        with _translated("delete recording"):
            self.client.recordings(recording_sid).delete()


@dataclass
class FakeRecordings:
    """In memory: ``stored`` recordings by SID; ``failing`` makes the next calls fail."""

    stored: dict[str, bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    failing: int = 0  # how many of the next calls fail as Twilio's 5xx would

    def _fail(self, what: str) -> None:
        if self.failing:
            self.failing -= 1
            raise RecordingUnavailable(f"{what}: Twilio answered 503")

    def fetch(self, recording_sid: str) -> Audio:
        self._fail("fetch recording")
        if recording_sid not in self.stored:
            raise RecordingGone("fetch recording: not found at Twilio")
        self.fetched.append(recording_sid)
        return Audio(self.stored[recording_sid], "audio/wav")

    def delete(self, recording_sid: str) -> None:
        self._fail("delete recording")
        if self.stored.pop(recording_sid, None) is None:
            raise RecordingGone("delete recording: not found at Twilio")
        self.deleted.append(recording_sid)


def get_recordings() -> Recordings | None:
    """Twilio (or the emulator its API URL points at) when an account is configured; None
    without one: nothing can be fetched, and the voicemails wait."""
    client = get_twilio_client()
    return None if client is None else TwilioRecordings(client)
