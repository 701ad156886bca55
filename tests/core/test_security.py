"""Hashing: argon2id on threads of its own, below the request threads' CPU priority."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from core import security
from core.settings import get_settings


def test_a_pin_hashed_is_verified_by_both_the_blocking_and_the_async_call() -> None:
    hashed = security.hash_secret("204817")
    assert security.verify_secret("204817", hashed)
    assert not security.verify_secret("204818", hashed)
    assert _run(security.verify_secret_async, "204817", hashed)
    assert not _run(security.verify_secret_async, "000000", hashed)


def _run(verify: Callable[[str, str], Awaitable[bool]], secret: str, hashed: str) -> bool:
    # On a thread of its own: browser tests leave an event loop running on the main thread.
    async def main() -> bool:
        return await verify(secret, hashed)

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main()).result()


def test_hashes_run_at_a_lower_priority_than_the_request_threads() -> None:
    # A 20 ms hash must not delay the other webhooks of a call, which Twilio waits for.
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    own = niceness()
    on_hashing_thread = security._hashing_threads().submit(niceness).result()
    assert on_hashing_thread == min(own + get_settings().hashing_niceness, 19)
