"""The current time as a dependency, so tests can pass time in instead of sleeping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from core.database import utcnow


async def get_now() -> datetime:
    # async: a sync dependency would cost a thread-pool hop on every request
    return utcnow()


Now = Annotated[datetime, Depends(get_now)]
