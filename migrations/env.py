"""Alembic environment: the URL comes from the settings (or the caller's connection)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, text

import supportline.models  # noqa: F401 - registers every table on the metadata
from core.database import Base, UTCDateTime, make_engine
from core.migrate import MIGRATION_LOCK_KEY
from core.pii import EncryptedBytes, EncryptedText
from core.settings import get_settings

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our TypeDecorators as their plain SQL types: a schema migration imports no app code
    (a data migration that encrypts, like 0005, uses ``core.pii`` and the keys configured)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    if type_ == "type" and isinstance(obj, EncryptedBytes):
        return "sa.LargeBinary()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=False,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # `serve` and `worker` started together on a fresh database both migrated, and one
            # died on a duplicate type. The second waits here until the first has committed, then
            # finds nothing left to do. (On SQLite the transaction's BEGIN IMMEDIATE already
            # takes the database's only write lock.)
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().effective_database_url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().effective_database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
