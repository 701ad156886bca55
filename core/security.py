"""Password/PIN hashing with argon2id (libpass) and random keypad secrets."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from passlib.context import CryptContext

from core.settings import get_settings


@lru_cache
def get_hasher() -> CryptContext:
    settings = get_settings()
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=settings.argon2_memory_cost,
        argon2__rounds=settings.argon2_time_cost,
        argon2__parallelism=settings.argon2_parallelism,
    )


HASHING_THREADS = os.cpu_count() or 1


@lru_cache
def _hashing_threads() -> ThreadPoolExecutor:
    """Argon2 runs on a few threads of its own, never on every request thread at once.

    Each hash takes a core and 19 MiB for ~20 ms. Run on the request threads, a burst had up to
    40 per process at once: each took that many times longer, and every thread's allocator kept
    its 19 MiB (the dial-in benchmark's server grew to 1.7 GB). Here at most one per core waits
    its turn, in order, and memory stays bounded.

    The hashing threads run at a lower CPU priority than the request threads: the other webhooks
    of a call are answered in a millisecond or two while Twilio waits in silence, so they should
    not queue behind a 20 ms hash; the hash is what the PIN step waits for anyway.
    """
    return ThreadPoolExecutor(
        max_workers=HASHING_THREADS,
        thread_name_prefix="argon2",
        initializer=_lower_priority,
    )


def _lower_priority() -> None:
    # On Linux a thread id names just that thread here (elsewhere this would be the process).
    if sys.platform == "linux":
        thread = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, thread) + get_settings().hashing_niceness
        os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))


def hash_secret(secret: str) -> str:
    return _hashing_threads().submit(lambda: str(get_hasher().hash(secret))).result()


# Longer than any password or PIN we accept (passlib refuses more than 4096 characters with an
# exception): such a secret is simply wrong, at the cost of one verification like any other.
MAX_SECRET_LENGTH = 1024


def _verify(secret: str, hashed: str) -> bool:
    if len(secret) > MAX_SECRET_LENGTH:
        get_hasher().verify("-", hashed)
        return False
    return bool(get_hasher().verify(secret, hashed))


def verify_secret(secret: str, hashed: str) -> bool:
    return _hashing_threads().submit(_verify, secret, hashed).result()


async def verify_secret_async(secret: str, hashed: str) -> bool:
    """``verify_secret`` for async handlers: awaits the hashing thread, holds no request thread."""
    return await asyncio.wrap_future(_hashing_threads().submit(_verify, secret, hashed))


def start_hashing() -> None:
    """Start every hashing thread and compute the dummy hash before the first PIN arrives, so
    that the first callers after a start do not wait for them."""
    started = threading.Barrier(HASHING_THREADS)  # each task holds its thread until all started
    tasks = [_hashing_threads().submit(started.wait, 10) for _ in range(HASHING_THREADS)]
    for task in tasks:
        task.result()
    dummy_hash()


@lru_cache
def dummy_hash() -> str:
    """A hash to verify against when the account is unknown, so both cases cost the same."""
    return hash_secret(secrets.token_hex(16))


def random_digits(length: int) -> str:
    """Uniformly random digits; the first is never 0 so a keypad entry keeps its length."""
    first = str(secrets.randbelow(9) + 1)
    return first + "".join(str(secrets.randbelow(10)) for _ in range(length - 1))
