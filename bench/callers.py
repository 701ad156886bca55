"""Simulated callers for the dial-in benchmark: they follow the app's TwiML as Twilio would.

Each caller signs every webhook with ``RequestValidator`` over the URL it posts to, answers
``<Gather>`` with its participant number then its PIN, follows ``<Redirect>``, and on
``<Dial><Conference>`` sends the participant-join status callback Twilio would send. Every request
is timed and tagged with the step it belongs to. Optionally the call then leaves again
(participant-leave callback and the ``<Dial action>`` with a completed call), as a hang-up would.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from bench.loadclient import Client, HttpError

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
PIN_STEP = "pin"


@dataclass
class CallResult:
    timings: list[tuple[str, float]] = field(default_factory=list)
    joined: bool = False
    room: str | None = None
    error: str | None = None
    started: float = 0.0
    finished: float = 0.0


@dataclass(frozen=True)
class Caller:
    line: str
    caller_id: str
    participant_number: str
    pin: str


class Signer:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(token)

    def absolute(self, url: str) -> str:
        return url if url.startswith("http") else self.base_url + url

    def headers(self, url: str, params: dict[str, str]) -> dict[str, str]:
        return {"X-Twilio-Signature": str(self.validator.compute_signature(url, params))}


class NotOk(RuntimeError):
    pass


def conference_sid(room: str) -> str:
    """Twilio gives each running room one ConferenceSid; derive a stable one from its name."""
    return "CF" + hashlib.sha256(room.encode()).hexdigest()[:32]


async def post(
    client: Client, signer: Signer, url: str, params: dict[str, str]
) -> tuple[str, float]:
    url = signer.absolute(url)
    headers = signer.headers(url, params)
    started = time.perf_counter()
    status, text = await client.post(url, params, headers)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise NotOk(f"HTTP {status} from {urlsplit(url).path}")
    return text, elapsed


def _call_params(caller: Caller) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": "CA" + secrets.token_hex(16),
        "From": caller.caller_id,
        "To": caller.line,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "CallStatus": "in-progress",
    }


async def place_call(
    client: Client, signer: Signer, caller: Caller, *, leave: bool = False
) -> CallResult:
    """One complete dial-in: entry, participant number, PIN, admission, conference join."""
    result = CallResult(started=time.perf_counter())
    base = _call_params(caller)
    answers = [("participant_number", caller.participant_number), (PIN_STEP, caller.pin)]
    try:
        body, elapsed = await post(client, signer, "/twilio/voice", base)
        result.timings.append(("entry", elapsed))
        for _ in range(12):
            document = ET.fromstring(body)  # our own server's TwiML
            gather = document.find("Gather")
            redirect = document.find("Redirect")
            dial = document.find("Dial")
            if dial is not None and dial.find("Conference") is not None:
                await _join(client, signer, dial, base, result, leave=leave)
                break
            if gather is not None and answers:
                step, digits = answers.pop(0)
                params = {**base, "Digits": digits, "FinishedOnKey": "#"}
                body, elapsed = await post(client, signer, gather.get("action", ""), params)
                result.timings.append((step, elapsed))
            elif redirect is not None and redirect.text:
                body, elapsed = await post(client, signer, redirect.text, base)
                result.timings.append(("other", elapsed))
            else:
                spoken = " ".join(say.text or "" for say in document.iter("Say"))
                result.error = "not admitted: " + spoken[:100]
                break
    except (HttpError, NotOk, ET.ParseError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.finished = time.perf_counter()
    return result


async def _join(
    client: Client,
    signer: Signer,
    dial: ET.Element,
    base: dict[str, str],
    result: CallResult,
    *,
    leave: bool,
) -> None:
    conference = dial.find("Conference")
    assert conference is not None
    room = conference.text or ""
    params = {
        **base,
        "ConferenceSid": conference_sid(room),
        "FriendlyName": room,
        "StatusCallbackEvent": "participant-join",
        "Muted": "false",
        "Hold": "false",
        "Coaching": "false",
        "EndConferenceOnExit": "false",
        "StartConferenceOnEnter": conference.get("startConferenceOnEnter", "false"),
        "SequenceNumber": "1",
        "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
    }
    if conference.get("participantLabel"):
        params["ParticipantLabel"] = conference.get("participantLabel", "")
    callback = conference.get("statusCallback", "")
    _, elapsed = await post(client, signer, callback, params)
    result.timings.append(("join_callback", elapsed))
    result.joined, result.room = True, room
    result.finished = time.perf_counter()
    if leave:
        leaving = {**params, "StatusCallbackEvent": "participant-leave", "SequenceNumber": "2"}
        _, elapsed = await post(client, signer, callback, leaving)
        result.timings.append(("leave_callback", elapsed))
        ended = {**base, "CallStatus": "completed", "DialCallStatus": "completed"}
        _, elapsed = await post(client, signer, dial.get("action", ""), ended)
        result.timings.append(("dial_ended", elapsed))


async def end_conferences(base_url: str, token: str, rooms: set[str]) -> None:
    """The conference-end callbacks Twilio sends when everybody hung up: the rooms empty."""
    signer = Signer(base_url, token)
    async with Client(max_connections=10) as client:
        for room in sorted(rooms):
            params = {
                "AccountSid": ACCOUNT_SID,
                "ConferenceSid": conference_sid(room),
                "FriendlyName": room,
                "StatusCallbackEvent": "conference-end",
            }
            await post(client, signer, "/twilio/conference/status", params)


BASELINE_STEPS = ("entry", "participant_number", PIN_STEP, "join_callback")


async def place_baseline_call(
    client: Client, signer: Signer, caller: Caller, *, leave: bool = False
) -> CallResult:
    """As many signed form posts as a real call makes, against a reference app
    (``bench.baseline_app``): each to ``/baseline/<step>``, the PIN step with the caller's PIN."""
    result = CallResult(started=time.perf_counter())
    base = _call_params(caller)
    digits = {"participant_number": caller.participant_number, PIN_STEP: caller.pin}
    try:
        for step in BASELINE_STEPS:
            params = {**base, "Digits": digits.get(step, "")}
            _, elapsed = await post(client, signer, f"/baseline/{step}", params)
            result.timings.append((step, elapsed))
        result.joined = True
    except (HttpError, NotOk) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.finished = time.perf_counter()
    return result


Place = Callable[..., Awaitable[CallResult]]  # place_call or place_baseline_call


def arrivals(count: int, seconds: float, profile: str, seed: int = 7) -> list[float]:
    """Start offsets (seconds) of ``count`` callers over ``seconds``: uniform or poisson."""
    if profile == "uniform":
        return [index * seconds / count for index in range(count)]
    if profile == "poisson":
        rng = random.Random(seed)  # load shape, not security
        offsets, at = [], 0.0
        for _ in range(count):
            at += rng.expovariate(count / seconds)
            offsets.append(at)
        scale = seconds / offsets[-1]
        return [offset * scale for offset in offsets]
    raise ValueError(f"unknown arrival profile {profile!r}: use uniform or poisson")


def _client(connections: int) -> Client:
    return Client(max_connections=connections)


async def run_open_loop(
    base_url: str,
    token: str,
    callers: list[Caller],
    *,
    offsets: list[float],
    place: Place = place_call,
) -> list[CallResult]:
    """One call per offset (seconds from now; see ``arrivals``), open loop: arrivals never
    wait for answers. ``place=place_baseline_call`` for a reference app, with the same arrivals
    and requests."""
    signer = Signer(base_url, token)
    async with _client(1000) as client:
        start = time.perf_counter()

        async def one(index: int) -> CallResult:
            await asyncio.sleep(max(0.0, offsets[index] - (time.perf_counter() - start)))
            return await place(client, signer, callers[index])

        return list(await asyncio.gather(*(one(index) for index in range(len(offsets)))))


async def run_closed_loop(
    base_url: str,
    token: str,
    callers: list[Caller],
    *,
    concurrency: int,
    seconds: float,
    leave: bool,
    place: Place = place_call,
) -> tuple[list[CallResult], float]:
    """``concurrency`` callers dialling back to back for ``seconds``, each credential at most
    once unless ``leave`` (then a credential is free again once its call left).

    Returns the results and the elapsed time (shorter when the credentials ran out)."""
    signer = Signer(base_url, token)
    pool: Iterator[Caller] = iter(callers)
    if leave:
        pool = (callers[index % len(callers)] for index in range(10**9))
    results: list[CallResult] = []
    async with _client(concurrency + 10) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            for caller in pool:
                if time.perf_counter() >= deadline:
                    return
                results.append(await place(client, signer, caller, leave=leave))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, time.perf_counter() - start
