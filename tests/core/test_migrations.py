"""The Alembic migrations build exactly the schema the models describe (on either backend)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import supportline.models  # noqa: F401 - every table known
from core.database import Base


def test_the_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    # A model changed without a migration would work in tests made from the models and fail
    # on a production database made by `supportline db upgrade`.
    with engine.connect() as connection:
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []
