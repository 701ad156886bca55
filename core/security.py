"""Password/PIN hashing with argon2id (libpass) and random keypad secrets."""

from __future__ import annotations

import secrets
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


def hash_secret(secret: str) -> str:
    return str(get_hasher().hash(secret))


def verify_secret(secret: str, hashed: str) -> bool:
    return bool(get_hasher().verify(secret, hashed))


@lru_cache
def dummy_hash() -> str:
    """A hash to verify against when the account is unknown, so both cases cost the same."""
    return hash_secret(secrets.token_hex(16))


def random_digits(length: int) -> str:
    """Uniformly random digits; the first is never 0 so a keypad entry keeps its length."""
    first = str(secrets.randbelow(9) + 1)
    return first + "".join(str(secrets.randbelow(10)) for _ in range(length - 1))
