"""Imports every model module so that the metadata (Alembic, relationships) sees all tables."""

from __future__ import annotations

import auth.models
import conference.models
import core.audit
import core.scheduler
import groups.models
import helpline.models
import notifications.models

__all__ = ["auth", "conference", "core", "groups", "helpline", "notifications"]
