"""Personal data at rest: Fernet encryption with key rotation, and keyed blind indexes.

``SUPPORTLINE_PII_KEYS`` holds comma-separated Fernet keys: the first encrypts, all decrypt, so a
new key is put in front, ``supportline pii rotate`` re-encrypts every row, then the old key can go.
Lookups (STOP handling, duplicate referrals, dial-in) use an HMAC "blind index" and never decrypt.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary, Text, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.types import TypeDecorator

from core.settings import get_settings


class PiiKeyError(RuntimeError):
    """Stored personal data cannot be decrypted with any configured key."""


@lru_cache
def get_cipher() -> MultiFernet:
    keys = get_settings().effective_pii_keys
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise PiiKeyError("SUPPORTLINE_PII_KEYS holds a value that is not a Fernet key") from exc


def index_key(secret_key: bytes) -> bytes:
    """The blind indexes' HMAC key, derived from a ``SECRET_KEY``."""
    return hmac.new(secret_key, b"supportline blind index v1", "sha256").digest()


@lru_cache
def _index_key() -> bytes:
    return index_key(get_settings().effective_secret_key)


def encrypt(value: str) -> str:
    return get_cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return get_cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise PiiKeyError("personal data could not be decrypted with the configured keys") from exc


def encrypt_bytes(value: bytes) -> bytes:
    return get_cipher().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return get_cipher().decrypt(token)
    except InvalidToken as exc:
        raise PiiKeyError("personal data could not be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt one value with the newest key."""
    return get_cipher().rotate(token.encode()).decode()


def blind_index(kind: str, value: str, *, key: bytes | None = None) -> str:
    """A keyed, deterministic fingerprint for equality lookups; ``kind`` separates uses.

    ``key`` (from ``index_key``) only when recomputing after a change of ``SECRET_KEY``.
    """
    message = kind.encode() + b"\x00" + value.encode()
    return hmac.new(key or _index_key(), message, hashlib.sha256).hexdigest()


def phone_index(number: str, *, key: bytes | None = None) -> str:
    """The blind index of an E.164 phone number (duplicate referrals, STOP replies)."""
    return blind_index("phone", number, key=key)


def encrypted_columns(base: type[DeclarativeBase]) -> list[tuple[type[Any], list[str]]]:
    """Every mapped class with the attribute names of its encrypted columns (text or bytes)."""
    found = []
    for mapper in base.registry.mappers:
        names = [
            attribute.key
            for attribute in mapper.column_attrs
            if any(isinstance(column.type, ENCRYPTED) for column in attribute.columns)
        ]
        if names:
            found.append((mapper.class_, names))
    return found


def rotate_all(session: Session, base: type[DeclarativeBase]) -> int:
    """Re-encrypt every encrypted value with the newest key; returns the rows rewritten.

    The columns are found from the models, so a new encrypted column can never be forgotten.
    """
    count = 0
    for model, names in encrypted_columns(base):
        for row in session.scalars(select(model)):
            for name in names:
                if getattr(row, name) is not None:
                    # The value is decrypted on load; marking it modified writes it re-encrypted.
                    flag_modified(row, name)
            count += 1
    session.flush()
    return count


def reset_caches() -> None:
    """Forget derived keys (tests and ``pii rotate`` after the settings change)."""
    get_cipher.cache_clear()
    _index_key.cache_clear()


class EncryptedText(TypeDecorator[str]):
    """A string column stored as a Fernet token; plain text never reaches the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)

    def copy(self, **kw: Any) -> EncryptedText:
        return EncryptedText()


class EncryptedBytes(TypeDecorator[bytes]):
    """A binary column (a voicemail's audio) stored as a Fernet token: the same keys and the same
    rotation as ``EncryptedText``; the plain bytes never reach the database."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else encrypt_bytes(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else decrypt_bytes(value)

    def copy(self, **kw: Any) -> EncryptedBytes:
        return EncryptedBytes()


ENCRYPTED = (EncryptedText, EncryptedBytes)
