"""The engine as a running service: its webhooks posted from threads of their own, its clock
ticking, and what each call hears kept in order for the phone on it.

One thread posts the webhooks, in the courier's mode (``supportline.emulator.delivery``): a
call's own requests one after the other, as Twilio makes them. What a REST request causes (a
status callback, the Dial actions after an end, an announcement) is posted after the REST answer
is sent — or, in ``during`` mode, each on a connection of its own before the answer goes back,
while the server's request that caused it is still running. Another thread advances the clock
every second: Dial time limits, the 4-hour cap, wait documents that asked to be fetched again.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import httpx

from core.logs import get_logger
from supportline.emulator.delivery import Courier, HttpTransport, Mode, WebhookRefused
from supportline.emulator.engine import Call, Engine, Stage
from supportline.emulator.hooks import Webhook

log = get_logger(__name__)

TICK_SECONDS = 1.0
# The longest a REST answer waits, in ``during`` mode, for the requests it caused to be sent.
DURING_WAIT_SECONDS = 10.0
KEEP_RECORDS = 1000  # the journal's newest entries


@dataclass
class Feed:
    """What one call heard, and the stages it went through, in order: its phone reads it."""

    call: Call
    events: list[dict[str, str]] = field(default_factory=list)
    stage: Stage = Stage.ringing  # the last one written down


@dataclass
class _Courier(Courier):
    """The courier of a running emulator: webhooks over HTTP, a failed one handled as Twilio
    does (``Engine.unreachable``), and the phones told after each answer."""

    after_post: Callable[[], None] = lambda: None
    journal: deque[str] = field(default_factory=lambda: deque(maxlen=KEEP_RECORDS))

    def post(self, hook: Webhook, on_sent: Callable[[], None] | None = None) -> list[Webhook]:
        wire = self.transport
        assert isinstance(wire, HttpTransport)
        path = hook.url.removeprefix(wire.public_url).split("?")[0]
        entry = f"{hook.purpose} {path} {hook.call_sid or hook.conference_sid or '-'}"

        def sent() -> None:  # on the wire (or failed to get there: then "failed" follows)
            self.journal.append(f"posted {entry}")
            if on_sent is not None:
                on_sent()

        try:
            body = wire.post(
                hook.url, hook.params, self.signature(hook.url, hook.params), on_sent=sent
            )
        except (httpx.HTTPError, httpx.InvalidURL, WebhookRefused) as error:
            # The reason names the status or the failure, never the request's parameters.
            reason = type(error).__name__
            log.warning(
                "emulator.webhook_failed",
                extra={"purpose": hook.purpose, "path": path, "reason": reason},
            )
            self.journal.append(f"failed {entry}: {reason}")
            hooks = self.engine.unreachable(hook)
        else:
            hooks = self.engine.answer(hook, body)
        self.after_post()
        return hooks


class Switchboard:
    """An :class:`Engine` with the threads around it, the phones' feeds and a journal."""

    def __init__(
        self, engine: Engine, wire: HttpTransport, *, auth_token: str, mode: Mode = Mode.in_order
    ) -> None:
        self.engine = engine
        self.mode = mode
        self.changed = threading.Condition()
        self.feeds: dict[str, Feed] = {}
        self.rings: dict[str, list[dict[str, str]]] = {}  # by a terminal phone's number
        self.busy = 0  # batches of webhooks waiting or being posted
        self.courier = _Courier(engine, wire, auth_token, mode, after_post=self.observe)
        self._queue: queue.SimpleQueue[list[Webhook] | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._post_in_turn, name="emulator-webhooks", daemon=True),
            threading.Thread(target=self._tick, name="emulator-clock", daemon=True),
        ]

    @property
    def journal(self) -> deque[str]:
        """What was posted, failed and answered, in order: purposes, paths and SIDs, never
        parameters."""
        return self.courier.journal

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        with self.changed:
            self.changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)

    # --- posting ---------------------------------------------------------------------------

    def send(self, hooks: list[Webhook]) -> None:
        """Post ``hooks`` (and what their answers lead to) from the posting thread, in turn."""
        self._busier(1)
        self._queue.put(hooks)

    def _busier(self, change: int) -> None:
        with self.changed:
            self.busy += change
            self.changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no webhook is waiting or being posted; whether that came in time."""
        with self.changed:
            return self.changed.wait_for(lambda: self.busy == 0, timeout=timeout)

    def after_rest(self, hooks: list[Webhook], later: Callable[..., None]) -> None:
        """What a REST request caused: in ``during`` mode posted now, each on a connection of its
        own, and this returns once all are on the wire; otherwise handed to ``later`` (which runs
        after the REST answer is sent) to be posted in turn."""
        self.observe()
        if self.mode is not Mode.during:
            self._busier(1)  # counted from now: idle means nothing is on its way
            later(self._queue.put, hooks)
            return
        sent = [threading.Event() for _ in hooks]
        self._busier(len(hooks))
        for hook, event in zip(hooks, sent, strict=True):
            threading.Thread(
                target=self._post_alone, args=(hook, event), name="emulator-during", daemon=True
            ).start()
        deadline = time.monotonic() + DURING_WAIT_SECONDS
        for event in sent:
            event.wait(max(0.0, deadline - time.monotonic()))

    def _post_alone(self, hook: Webhook, sent: threading.Event) -> None:
        try:
            self.send(self.courier.post(hook, on_sent=sent.set))
        finally:
            sent.set()
            self._busier(-1)

    def _post_in_turn(self) -> None:
        while (hooks := self._queue.get()) is not None:
            try:
                self.courier.run(hooks)
            finally:
                self._busier(-1)

    def _tick(self) -> None:
        while not self._stopping.wait(TICK_SECONDS):
            self.send(self.engine.advance())  # an empty list too: ``delayed`` sends late ones
            self.observe()

    # --- what the phones hear ------------------------------------------------------------------

    def observe(self) -> None:
        """Write down each call's stage where it changed, and wake the phones that wait."""
        with self.changed:
            for feed in self.feeds.values():
                stage = feed.call.stage
                if stage is not feed.stage:
                    feed.stage = stage
                    feed.events.append({"stage": stage.value})
            self.changed.notify_all()

    def _heard(self, feed: Feed, what: str) -> None:
        with self.changed:
            feed.events.append({"heard": what})
            self.changed.notify_all()

    def dial(self, to: str, caller: str) -> Call:
        """A phone calls the line ``to``; Twilio requests the Voice URL."""
        call, hooks = self.engine.dial(to, caller)
        self._follow(call)
        self.observe()
        self.send(hooks)
        return call

    def _follow(self, call: Call) -> Feed:
        feed = Feed(call)
        call.listeners.append(partial(self._heard, feed))
        with self.changed:
            self.feeds[call.sid] = feed
        return feed

    def register(self, number: str) -> int:
        """A terminal phone answers to ``number``: a ``<Dial><Number>`` rings it. Returns how
        many calls rang it before (a terminal phone of the number earlier had them)."""
        phone = self.engine.phone(number)
        with self.engine.lock, self.changed:
            if number not in self.rings:
                self.rings[number] = []
                phone.on_ring.append(partial(self._rung, number))
            return len(self.rings[number])

    def _rung(self, number: str, call: Call) -> None:
        self._follow(call)
        with self.changed:
            self.rings[number].append({"sid": call.sid, "caller_id": call.caller})
            self.changed.notify_all()

    def rings_of(self, number: str, *, after: int, wait: float) -> list[dict[str, str]]:
        """The calls that rang ``number`` after the first ``after``, waiting up to ``wait``."""
        rings = self.rings[number]
        with self.changed:
            self.changed.wait_for(
                lambda: len(rings) > after or self._stopping.is_set(), timeout=wait
            )
            return rings[after:]

    def pick_up(self, call_sid: str) -> None:
        hooks = self.engine.pick_up(call_sid)
        self.observe()
        self.send(hooks)

    def decline(self, call_sid: str) -> None:
        hooks = self.engine.decline(call_sid)
        self.observe()
        self.send(hooks)

    def press(self, call_sid: str, digits: str) -> None:
        hooks = self.engine.press(call_sid, digits)
        self.observe()  # ``talking`` is written down before the answer can bring the next stage
        self.send(hooks)

    def hang_up(self, call_sid: str) -> None:
        hooks = self.engine.hang_up(call_sid)
        self.observe()
        self.send(hooks)

    def events(self, call_sid: str, *, after: int, wait: float) -> list[dict[str, str]]:
        """The call's events after the first ``after``, waiting up to ``wait`` seconds for one."""
        feed = self.feeds[call_sid]
        with self.changed:
            self.changed.wait_for(
                lambda: len(feed.events) > after or self._stopping.is_set(), timeout=wait
            )
            return feed.events[after:]

    def note(self, entry: str) -> None:
        self.journal.append(entry)

    def deliver_sms(self, to: str, sender: str, body: str) -> bool:
        """An SMS reaches the number ``to``: shown on the phones calling from it, if any."""
        with self.changed:
            phones = [
                feed
                for feed in self.feeds.values()
                if feed.call.caller == to and feed.stage is not Stage.ended
            ]
            for feed in phones:
                feed.events.append({"sms": body, "from": sender})
            self.changed.notify_all()
        return bool(phones)
