"""What Twilio sends: the webhooks it requests, and the errors its REST API answers with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class Purpose(StrEnum):
    """Why Twilio requests a URL; but for a status callback, its answer is TwiML to go on with."""

    voice = "voice"  # the number's Voice URL: a call comes in
    action = "action"  # a Gather's, Record's or Dial's action, or a Redirect
    wait = "wait"  # the conference's waitUrl, while the participant waits
    announce = "announce"  # a conference's announceUrl (REST update)
    whisper = "whisper"  # a <Number url>: TwiML for the called phone before it is connected
    status = "status"  # a status callback: the answer is ignored


@dataclass(frozen=True)
class Webhook:
    """One request Twilio makes: POST ``url`` with ``params`` (form-encoded, signed)."""

    url: str
    params: dict[str, str]
    purpose: Purpose
    call_sid: str | None = None
    conference_sid: str | None = None
    # a REST request caused it (the server's own request may not have returned yet)
    caused_by_rest: bool = False

    @property
    def event(self) -> str:
        return self.params.get("StatusCallbackEvent", "")


class TwilioError(Exception):
    """An error Twilio reports: a REST answer's code, or an entry in its debugger."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(f"{code} {message}")
        self.code, self.message, self.status = code, message, status


def not_found(what: str) -> TwilioError:
    # "The requested resource ... was not found" (https://www.twilio.com/docs/api/errors/20404)
    return TwilioError(20404, f"The requested resource {what} was not found", status=404)
