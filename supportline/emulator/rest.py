"""The part of Twilio's REST API (2010-04-01) the server uses, over the engine.

- Every request authenticates with HTTP Basic auth, the account SID as user name and the auth
  token as password (https://www.twilio.com/docs/usage/requests-to-twilio); otherwise 401 with
  error 20003 (https://www.twilio.com/docs/api/errors/20003), as for another account's path.
- Errors come back as Twilio's JSON error body, ``code``, ``message``, ``more_info``, ``status``
  (https://www.twilio.com/docs/usage/twilios-response); a conference, participant or call that
  is not there (any more) is 404 with error 20404
  (https://www.twilio.com/docs/api/errors/20404), which the SDK raises as
  ``TwilioRestException``.
- The resources have the fields of Twilio's OpenAPI description (twilio-oai,
  ``twilio_api_v2010.json``): conference, participant, call, message.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response

from supportline.emulator.engine import Call, Stage
from supportline.emulator.hooks import Purpose, TwilioError, Webhook, new_sid, not_found
from supportline.emulator.recorder import Recording
from supportline.emulator.rooms import Conference, Leg
from supportline.emulator.switchboard import Switchboard

API_VERSION = "2010-04-01"
PREFIX = f"/{API_VERSION}/Accounts/{{account_sid}}"


def error_body(error: TwilioError) -> dict[str, Any]:
    """Twilio's JSON error body (https://www.twilio.com/docs/usage/twilios-response)."""
    return {
        "code": error.code,
        "message": error.message,
        "more_info": f"https://www.twilio.com/docs/errors/{error.code}",
        "status": error.status,
    }


def _date(moment: datetime | None) -> str | None:
    """The 2010 API's dates: RFC 2822, in UTC."""
    return None if moment is None else email.utils.format_datetime(moment)


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise TwilioError(400, f"{value!r} is not true or false", status=400)
    return value.lower() == "true"


class Resources:
    """The JSON of each resource, as Twilio shapes it, for one account."""

    def __init__(self, account_sid: str, now: datetime) -> None:
        self.account_sid, self.now = account_sid, now
        self.base = f"/{API_VERSION}/Accounts/{account_sid}"

    def conference(self, conference: Conference) -> dict[str, Any]:
        uri = f"{self.base}/Conferences/{conference.sid}"
        return {
            "account_sid": self.account_sid,
            "date_created": _date(conference.created_at),
            "date_updated": _date(self.now),
            "api_version": API_VERSION,
            "friendly_name": conference.name,
            "region": "us1",
            "sid": conference.sid,
            "status": conference.status,
            "uri": f"{uri}.json",
            "subresource_uris": {
                "participants": f"{uri}/Participants.json",
                "recordings": f"{uri}/Recordings.json",
            },
            "reason_conference_ended": conference.ended_by or None,
            "call_sid_ending_conference": None,
        }

    def participant(self, conference_sid: str, leg: Leg) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "call_sid": leg.call_sid,
            "label": leg.label or None,
            "call_sid_to_coach": None,
            "coaching": False,
            "conference_sid": conference_sid,
            "date_created": _date(self.now),
            "date_updated": _date(self.now),
            "end_conference_on_exit": leg.end_on_exit,
            "muted": leg.muted,
            "hold": leg.hold,
            "start_conference_on_enter": leg.start_on_enter,
            "status": "connected",
            "queue_time": "0",
            "uri": f"{self.base}/Conferences/{conference_sid}/Participants/{leg.call_sid}.json",
        }

    def call(self, call: Call) -> dict[str, Any]:
        uri = f"{self.base}/Calls/{call.sid}"
        status = {Stage.ringing: "ringing", Stage.ended: "completed"}.get(call.stage)
        return {
            "sid": call.sid,
            "date_created": _date(call.started_at),
            "date_updated": _date(self.now),
            "parent_call_sid": call.parent_sid,
            "account_sid": self.account_sid,
            "to": call.to,
            "to_formatted": call.to,
            "from": call.caller,
            "from_formatted": call.caller,
            "phone_number_sid": None,
            "status": status or "in-progress",
            "start_time": _date(call.started_at),
            "end_time": None,
            "duration": None,
            "price": None,
            "price_unit": "USD",
            "direction": call.direction,
            "answered_by": None,
            "api_version": API_VERSION,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": f"{uri}.json",
            "subresource_uris": {"recordings": f"{uri}/Recordings.json"},
        }

    def recording(self, recording: Recording) -> dict[str, Any]:
        uri = f"{self.base}/Recordings/{recording.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid": recording.call_sid,
            "sid": recording.sid,
            "date_created": _date(recording.created_at),
            "date_updated": _date(recording.created_at),
            "start_time": _date(recording.created_at),
            "duration": str(recording.duration),
            "channels": 1,
            "source": "RecordVerb",
            "status": "completed",
            "price": None,
            "price_unit": "USD",
            "uri": f"{uri}.json",
            "media_url": f"https://api.twilio.com{uri}",
        }

    def message(self, sid: str, *, to: str, sender: str, body: str) -> dict[str, Any]:
        uri = f"{self.base}/Messages/{sid}"
        return {
            "body": body,
            "num_segments": "1",
            "direction": "outbound-api",
            "from": sender,
            "to": to,
            "date_updated": _date(self.now),
            "price": None,
            "error_message": None,
            "uri": f"{uri}.json",
            "account_sid": self.account_sid,
            "num_media": "0",
            "status": "queued",
            "messaging_service_sid": None,
            "sid": sid,
            "date_sent": None,
            "date_created": _date(self.now),
            "error_code": None,
            "price_unit": "USD",
            "api_version": API_VERSION,
            "subresource_uris": {"media": f"{uri}/Media.json"},
        }


def _credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def _authenticator(account: str, auth_token: str) -> Callable[[Request, str], None]:
    def authenticated(request: Request, account_sid: str) -> None:
        user, password = _credentials(request.headers.get("authorization", ""))
        valid = secrets.compare_digest(user.encode(), account.encode()) & secrets.compare_digest(
            password.encode(), auth_token.encode()
        )
        if not valid or account_sid != account:
            raise TwilioError(20003, "Authenticate", status=401)

    return authenticated


def account_router(*, account: str, auth_token: str) -> APIRouter:
    """The account itself: what ``supportline doctor`` fetches to try the credentials
    (https://www.twilio.com/docs/iam/api/account#fetch-an-account-resource)."""
    router = APIRouter(dependencies=[Depends(_authenticator(account, auth_token))])

    @router.get(f"/{API_VERSION}/Accounts/{{account_sid}}.json")
    def fetch_account() -> dict[str, Any]:
        """The account, always active."""
        return {"sid": account, "friendly_name": "Twilio emulator", "status": "active"}

    return router


def rest_router(board: Switchboard, *, account: str, auth_token: str) -> APIRouter:
    """Conference, participant and call updates, and SMS, for the account ``account``."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(_authenticator(account, auth_token))])
    engine = board.engine

    def resources() -> Resources:
        return Resources(account, engine.clock())

    @router.post("/Conferences/{sid}.json")
    def update_conference(
        sid: str,
        later: BackgroundTasks,
        status: Annotated[str | None, Form(alias="Status")] = None,
        announce_url: Annotated[str | None, Form(alias="AnnounceUrl")] = None,
    ) -> dict[str, Any]:
        """Status=completed ends the conference; AnnounceUrl plays a document into it."""
        conference = engine.conference(sid)
        if status not in (None, "completed"):
            raise TwilioError(400, f"Status {status!r} cannot be set", status=400)
        hooks = engine.announce(sid, announce_url) if announce_url else []
        if status == "completed":
            hooks += engine.end_conference(sid)
        board.after_rest(hooks, later.add_task)
        board.note(f"answered POST Conferences/{sid}")
        return resources().conference(conference)

    @router.post("/Conferences/{sid}/Participants/{call_sid}.json")
    def update_participant(
        sid: str,
        call_sid: str,
        later: BackgroundTasks,
        muted: Annotated[str | None, Form(alias="Muted")] = None,
        hold: Annotated[str | None, Form(alias="Hold")] = None,
    ) -> dict[str, Any]:
        """Mute or unmute, hold or resume one participant."""
        hooks = engine.update_participant(sid, call_sid, muted=_bool(muted), hold=_bool(hold))
        with engine.lock:
            leg = engine.rooms.participant(sid, call_sid)
            body = resources().participant(sid, leg)
        board.after_rest(hooks, later.add_task)
        board.note(f"answered POST Conferences/{sid}/Participants/{call_sid}")
        return body

    @router.delete("/Conferences/{sid}/Participants/{call_sid}.json", status_code=204)
    def remove_participant(sid: str, call_sid: str, later: BackgroundTasks) -> Response:
        """The participant leaves the conference (its Dial ends)."""
        board.after_rest(engine.remove_participant(sid, call_sid), later.add_task)
        board.note(f"answered DELETE Conferences/{sid}/Participants/{call_sid}")
        return Response(status_code=204)

    @router.post("/Calls/{sid}.json")
    def update_call(
        sid: str, time_limit: Annotated[int | None, Form(alias="TimeLimit", ge=1)] = None
    ) -> dict[str, Any]:
        """TimeLimit: the call's longest duration in seconds."""
        if time_limit is not None:
            engine.update_call(sid, time_limit=time_limit)
        with engine.lock:
            call = engine.calls.get(sid)
            if call is None:
                raise not_found(f"/Calls/{sid}")
            return resources().call(call)

    @router.post("/Messages.json", status_code=201)
    def create_message(
        later: BackgroundTasks,
        to: Annotated[str, Form(alias="To", min_length=1)],
        sender: Annotated[str, Form(alias="From", min_length=1)],
        body: Annotated[str, Form(alias="Body")] = "",
        status_callback: Annotated[str | None, Form(alias="StatusCallback")] = None,
    ) -> dict[str, Any]:
        """An SMS: queued, shown on a phone calling from ``To``, then sent and delivered."""
        sid = new_sid("SM")
        board.deliver_sms(to, sender, body)
        hooks = []
        if status_callback:
            # https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
            params = {"AccountSid": account, "ApiVersion": API_VERSION, "From": sender, "To": to}
            hooks = [
                Webhook(
                    status_callback,
                    {
                        **params,
                        "MessageSid": sid,
                        "SmsSid": sid,
                        "MessageStatus": s,
                        "SmsStatus": s,
                    },
                    Purpose.status,
                    caused_by_rest=True,
                )
                for s in ("sent", "delivered")
            ]
        board.after_rest(hooks, later.add_task)
        return resources().message(sid, to=to, sender=sender, body=body)

    return router


def recordings_router(board: Switchboard, *, account: str, auth_token: str) -> APIRouter:
    """The account's recordings: the resource, its audio, and DELETE."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(_authenticator(account, auth_token))])
    engine = board.engine

    def resources() -> Resources:
        return Resources(account, engine.clock())

    @router.get("/Recordings/{sid}.json")
    def fetch_recording(sid: str) -> dict[str, Any]:
        """A recording's resource (https://www.twilio.com/docs/voice/api/recording)."""
        return resources().recording(engine.recording(sid))

    @router.get("/Recordings/{sid}.wav")
    def fetch_recording_media(sid: str) -> Response:
        """The recording's audio: its URI with ``.wav`` ("audio/x-wav")."""
        return Response(engine.recording(sid).media, media_type="audio/x-wav")

    @router.delete("/Recordings/{sid}.json", status_code=204)
    def delete_recording(sid: str) -> Response:
        """The recording is gone from the account: every later request is 404."""
        engine.delete_recording(sid)
        board.note(f"answered DELETE Recordings/{sid}")
        return Response(status_code=204)

    return router
