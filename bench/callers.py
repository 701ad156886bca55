"""Callers of the dial-in benchmark, placed through Twilio's voice engine (supportline.emulator).

Every call of the real app is a call of the engine: the engine dials the line and says which
webhooks Twilio would request; each is posted with the benchmark's HTTP client, signed as Twilio
signs it, and its answer is handed back to the engine, which executes the TwiML. At each
``<Gather>`` the caller types its participant number, then its PIN, each ending with ``#``. A
member who joins before a moderator waits, and the engine requests the conference's wait URL.
With ``leave``, the caller hangs up once in the room: the engine sends the participant-leave
callback and requests the ``<Dial action>`` (and, when the room is then empty, sends the
conference-end callback).

Every request is timed and tagged with the step it belongs to (``step``), as the tables of
``bench.phases`` read them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from bench.loadclient import Client, HttpError
from supportline.emulator.engine import Engine, Stage
from supportline.emulator.hooks import Purpose, Webhook

VOICE_PATH = "/twilio/voice"  # the line's "a call comes in" URL, on the server's public address
PIN_STEP = "pin"
CALLBACK_STEPS = {
    "participant-join": "join_callback",
    "participant-leave": "leave_callback",
    "conference-end": "conference_end",
}


@dataclass
class CallResult:
    timings: list[tuple[str, float]] = field(default_factory=list)
    joined: bool = False
    room: str | None = None
    call_sid: str | None = None
    error: str | None = None
    started: float = 0.0
    finished: float = 0.0  # when the server answered the join callback (else when it stopped)


@dataclass(frozen=True)
class Caller:
    line: str
    caller_id: str
    participant_number: str
    pin: str


class Twilio:
    """Twilio for one run against one server: one account's engine, shared by every caller of
    the run, and the signature its webhooks carry."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.engine = Engine(voice_url=self.base_url + VOICE_PATH)
        self.validator = RequestValidator(token)

    def headers(self, url: str, params: dict[str, str]) -> dict[str, str]:
        """``X-Twilio-Signature`` over the URL posted to (https://www.twilio.com/docs/usage/security)."""
        return {"X-Twilio-Signature": str(self.validator.compute_signature(url, params))}


class NotOk(RuntimeError):
    pass


def step(hook: Webhook, pressed: str | None = None) -> str:
    """The step a webhook belongs to in the tables; ``pressed``: the step of the keys whose
    ``<Gather>`` action this may be."""
    if hook.purpose is Purpose.voice:
        return "entry"
    if hook.purpose is Purpose.wait:
        return "wait"
    if hook.purpose is Purpose.status:
        return CALLBACK_STEPS.get(hook.event, "other")
    if "DialCallStatus" in hook.params:
        return "dial_ended"
    if pressed is not None and "Digits" in hook.params:
        return pressed
    return "other"


async def post(
    client: Client, twilio: Twilio, url: str, params: dict[str, str]
) -> tuple[str, float]:
    headers = twilio.headers(url, params)
    started = time.perf_counter()
    status, text = await client.post(url, params, headers)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise NotOk(f"HTTP {status} from {urlsplit(url).path}")
    return text, elapsed


async def follow(
    client: Client,
    twilio: Twilio,
    hooks: Iterable[Webhook],
    result: CallResult,
    pressed: str | None = None,
) -> None:
    """Post ``hooks`` and the webhooks their answers lead to, one after the other in the order
    they arose (the engine's own order), each timed into ``result``."""
    queue = list(hooks)
    while queue:
        hook = queue.pop(0)
        tag = step(hook, pressed)
        body, elapsed = await post(client, twilio, hook.url, hook.params)
        result.timings.append((tag, elapsed))
        if tag == "join_callback" and hook.call_sid == result.call_sid:
            result.joined, result.room = True, hook.params.get("FriendlyName")
            result.finished = time.perf_counter()
        queue += twilio.engine.answer(hook, body)


async def place_call(
    client: Client, twilio: Twilio, caller: Caller, *, leave: bool = False
) -> CallResult:
    """One complete dial-in through the engine: entry, participant number, PIN, admission, the
    conference's join callback and wait URL; with ``leave``, the hang-up's requests."""
    result = CallResult(started=time.perf_counter())
    engine = twilio.engine
    call, hooks = engine.dial(caller.line, caller.caller_id)
    result.call_sid = call.sid
    keys = [("participant_number", caller.participant_number), (PIN_STEP, caller.pin)]
    try:
        await follow(client, twilio, hooks, result)
        while call.stage is Stage.gathering and keys:
            name, digits = keys.pop(0)
            await follow(client, twilio, engine.press(call.sid, digits + "#"), result, name)
        if not result.joined:
            result.error = "not admitted: " + call.said[-100:]
        elif leave:
            await follow(client, twilio, engine.hang_up(call.sid), result)
    except (HttpError, NotOk) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    if not result.joined:
        # The phone is put down. Refused, it is out of any room and nothing follows; after an
        # error, what Twilio would report of it is not posted (the call counts as failed).
        engine.hang_up(call.sid)
        result.finished = time.perf_counter()
    return result


async def end_conferences(client: Client, twilio: Twilio) -> None:
    """Everybody still in a room hangs up: the engine sends each participant-leave callback,
    requests each ``<Dial action>`` and, once a room is empty, sends its conference-end callback,
    so the rooms empty as Twilio reports it. The rooms in parallel, each one's callers in turn."""
    with twilio.engine.lock:
        rooms = [
            list(conference.legs)
            for conference in twilio.engine.rooms.conferences.values()
            if not conference.ended
        ]

    async def empty(call_sids: list[str]) -> None:
        for call_sid in call_sids:
            await follow(client, twilio, twilio.engine.hang_up(call_sid), CallResult())

    await asyncio.gather(*(empty(call_sids) for call_sids in rooms))


BASELINE_STEPS = ("entry", "participant_number", PIN_STEP, "join_callback")


async def place_baseline_call(
    client: Client, twilio: Twilio, caller: Caller, *, leave: bool = False
) -> CallResult:
    """As many signed form posts as a real call makes up to its join, against a reference app
    (``bench.baseline_app``): each to ``/baseline/<step>``, with the parameters of an engine call.

    The reference app answers every request with the same ``<Gather>``: the engine executes it
    and the caller types its participant number, then its PIN, so each form is the one Twilio
    would post. There is no ``<Dial>`` to follow, so the fourth post (the join callback's place)
    carries the call's own parameters, and no wait URL is requested: the reference makes the
    four posts it always made, and the wait request stays a cost of the real app's."""
    result = CallResult(started=time.perf_counter())
    engine = twilio.engine
    call, (hook,) = engine.dial(caller.line, caller.caller_id)
    keys = [caller.participant_number, caller.pin]
    params = hook.params
    try:
        for name in BASELINE_STEPS:
            url = f"{twilio.base_url}/baseline/{name}"
            body, elapsed = await post(client, twilio, url, params)
            result.timings.append((name, elapsed))
            if not keys:
                params = call.params()
                continue
            engine.answer(hook, body)
            pressed = engine.press(call.sid, keys.pop(0) + "#")
            if not pressed:
                raise NotOk(f"no <Gather> in the answer from /baseline/{name}")
            hook = pressed[0]
            params = hook.params
        result.joined = True
    except (HttpError, NotOk) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    engine.hang_up(call.sid)
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
    twilio: Twilio,
    callers: list[Caller],
    *,
    offsets: list[float],
    place: Place = place_call,
) -> list[CallResult]:
    """One call per offset (seconds from now; see ``arrivals``), open loop: arrivals never
    wait for answers. ``place=place_baseline_call`` for a reference app, with the same arrivals
    and requests."""
    async with _client(1000) as client:
        start = time.perf_counter()

        async def one(index: int) -> CallResult:
            await asyncio.sleep(max(0.0, offsets[index] - (time.perf_counter() - start)))
            return await place(client, twilio, callers[index])

        return list(await asyncio.gather(*(one(index) for index in range(len(offsets)))))


async def run_closed_loop(
    twilio: Twilio,
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
                results.append(await place(client, twilio, caller, leave=leave))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, time.perf_counter() - start
