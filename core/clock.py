"""The current time as a dependency, so tests can pass time in instead of sleeping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends

from core.database import utcnow


async def get_now() -> datetime:
    # async: a sync dependency would cost a thread-pool hop on every request
    return utcnow()


Now = Annotated[datetime, Depends(get_now)]


def local_time(instant: datetime, zone: str, pattern: str = "%H:%M") -> str:
    """A UTC instant as the wall-clock time of the IANA ``zone``: HH:MM on the 24-hour clock,
    which every language the service speaks writes the same way, or another ``strftime``
    pattern."""
    return instant.astimezone(ZoneInfo(zone)).strftime(pattern)
