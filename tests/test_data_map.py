"""The data map (docs/data-protection.md) names every column that holds personal data in a
protected form: a new encrypted column, blind index or HMAC cannot slip past it."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Column

import supportline.models  # noqa: F401 - every table registered
from core.database import Base
from core.pii import ENCRYPTED

MAP = Path(__file__).resolve().parent.parent / "docs" / "data-protection.md"
# Derived from personal data by naming convention: blind indexes, HMACs, keyed HMACs, hashes.
DERIVED_SUFFIXES = ("_index", "_hmac", "_key", "_hash")


def protected(column: Column[object]) -> bool:
    return isinstance(column.type, ENCRYPTED) or column.name.endswith(DERIVED_SUFFIXES)


def columns() -> set[str]:
    return {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if protected(column)
    }


def named_in_map() -> tuple[set[str], set[str]]:
    """(``table.column`` names, table names) the map writes as code."""
    text = MAP.read_text(encoding="utf-8")
    words = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", text))
    return {word for word in words if "." in word}, {word for word in words if "." not in word}


def test_every_encrypted_or_derived_column_is_in_the_map() -> None:
    mapped, _tables = named_in_map()
    assert sorted(columns() - mapped) == []


def test_every_table_is_in_the_map() -> None:
    mapped, tables = named_in_map()
    named = tables | {name.split(".")[0] for name in mapped}
    assert sorted(set(Base.metadata.tables) - named) == []


def test_the_map_names_only_columns_that_exist() -> None:
    mapped, _tables = named_in_map()
    known = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
    }
    of_tables = {name for name in mapped if name.split(".")[0] in Base.metadata.tables}
    assert sorted(of_tables - known) == []  # (other dotted words: action codes, files)


def test_the_walk_recognises_what_it_must() -> None:
    """Guards the walk itself: known columns of each kind are found."""
    found = columns()
    assert {"memberships.phone", "memberships.phone_index", "conference_calls.caller_index"} <= (
        found
    )
    assert {"login_failures.client_key", "memberships.pin_hash"} <= found
