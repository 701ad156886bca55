"""Delivering one claimed batch of the outbox: mark ``sending``, send, record the outcomes.

Called by :func:`notifications.tasks.dispatch`; the states and the rules are in
``notifications.outbox``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from core.settings import get_settings
from notifications import notices, outbox
from notifications.models import Channel, OutboxMessage, Status
from notifications.outcomes import Attempt, DispatchReport, record_outcomes
from notifications.providers import (
    DeliveryError,
    DeliveryInDoubt,
    Mailer,
    Sms,
    SmsSender,
    get_mailer,
    get_sms_sender,
)
from notifications.render import build, read_recipients


@dataclass
class Providers:
    sms: SmsSender | None
    mailer: Mailer | None

    @classmethod
    def from_settings(cls) -> Providers:
        return cls(sms=get_sms_sender(), mailer=get_mailer())

    def channels(self) -> list[Channel]:
        available = [(Channel.sms, self.sms), (Channel.email, self.mailer)]
        return [channel for channel, provider in available if provider is not None]


@dataclass
class Batch:
    """Claimed rows (``claim_token``) whose messages are built: not yet handed to anyone."""

    token: str
    attempts: list[Attempt]


@dataclass
class Sending:
    """A batch with the provider: its calls on the pool, and how to stop starting new ones."""

    attempts: list[Attempt]
    futures: list[Future[None]]
    stop: threading.Event

    def wait(self) -> None:
        """Until every call has returned; raises the unexpected error that stopped the batch.

        An unexpected error (or this thread being interrupted) stops the batch: nothing more is
        started, the calls in flight finish (their outcomes are known, so they are recorded).
        """
        try:
            wait(self.futures, return_when=FIRST_EXCEPTION)
        finally:
            self.stop.set()
            wait(self.futures)
        for future in self.futures:
            future.result()


def sending_pool() -> ThreadPoolExecutor:
    """The threads a dispatcher sends on: ``OUTBOX_SEND_CONCURRENCY`` messages at once.

    Named after the dispatching thread, so logs and tests can tell two dispatchers apart.
    """
    return ThreadPoolExecutor(
        max_workers=get_settings().outbox_send_concurrency,
        thread_name_prefix=f"{threading.current_thread().name}:send",
    )


def start_batch(
    sessions: sessionmaker[Session],
    batch: Batch,
    *,
    clock: Callable[[], datetime],
    providers: Providers,
    pool: ThreadPoolExecutor,
) -> Sending:
    """Mark the batch ``sending`` in one commit, then hand its messages to ``pool``."""
    with sessions.begin() as session:
        attempts = mark_sending(session, batch, now=clock())
    # Every row of the batch has been ``sending`` since the commit above: stop early enough
    # that none of them outlives its in-doubt lease before its outcome is recorded.
    deadline = time.monotonic() + get_settings().outbox_in_doubt_seconds / 2
    return send_all(providers, attempts, deadline=deadline, pool=pool)


def finish_batch(
    sessions: sessionmaker[Session],
    sending: Sending,
    *,
    clock: Callable[[], datetime],
    report: DispatchReport,
) -> None:
    """Wait for the batch's calls, then record every outcome in one commit.

    Whatever stopped the sending (an unexpected error, the time budget), the outcomes known are
    recorded; rows never handed to the provider go back to the queue, and a row whose provider
    call did not return stays ``sending``: in doubt.
    """
    try:
        sending.wait()
    finally:
        with sessions.begin() as session:
            record_outcomes(session, sending.attempts, now=clock(), report=report)


def build_batch(
    session: Session, rows: list[OutboxMessage], *, now: datetime, report: DispatchReport
) -> list[Attempt]:
    """Build the message of each row just claimed (in this transaction); moot rows end here, the
    others stay ``claimed``."""
    recipients = read_recipients(session, rows)
    attempts: list[Attempt] = []
    for row in rows:
        message = build(session, row, now=now, recipients=recipients)
        if isinstance(message, outbox.Skip):
            status = outbox.end_unsent(row, message, now=now)
            if status is Status.failed:
                notices.notify_failure(session, row, now)
            report.skipped += 1
            report.outcomes[row.id] = status
            continue
        attempts.append(Attempt(outbox_id=row.id, message=message))
    return attempts


def mark_sending(session: Session, batch: Batch, *, now: datetime) -> list[Attempt]:
    """The batch's rows still claimed by it and not expired become ``sending``, in one statement.

    The batch may have been built while the previous one was with the provider: a row whose
    claim lease ran out meanwhile may belong to another dispatcher now, and is left to it; one
    whose meeting began meanwhile goes back to the queue, where it expires.
    """
    if not batch.attempts:
        return []
    ids = [attempt.outbox_id for attempt in batch.attempts]
    marked = outbox.mark_sending(session, ids=ids, token=batch.token, now=now)
    if len(marked) < len(batch.attempts):  # the batch's other rows were skipped and released
        outbox.release_claims(session, token=batch.token, now=now)  # what was not marked
    return [attempt for attempt in batch.attempts if attempt.outbox_id in marked]


def send_all(
    providers: Providers, attempts: list[Attempt], *, deadline: float, pool: ThreadPoolExecutor
) -> Sending:
    """Hand the messages to ``pool``; an ``Attempt`` never ``started`` never reached the provider.

    Each attempt is touched by one pool thread only, and read after :meth:`Sending.wait`.
    """
    stop = threading.Event()

    def send(attempt: Attempt) -> None:
        if stop.is_set() or time.monotonic() >= deadline:
            return
        attempt.started = True
        try:
            attempt.provider_id = _send(providers, attempt.message)
        except DeliveryInDoubt as doubt:
            attempt.doubt = doubt.reason
        except DeliveryError as error:
            attempt.error = error
        except BaseException:
            stop.set()
            raise

    futures = [pool.submit(send, attempt) for attempt in attempts]
    return Sending(attempts=attempts, futures=futures, stop=stop)


def _send(providers: Providers, message: Sms | EmailMessage) -> str:
    if isinstance(message, Sms):
        assert providers.sms is not None  # claimed only for channels with a provider
        return providers.sms.send_sms(message)
    assert providers.mailer is not None
    return providers.mailer.send_email(message)
