from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """A settable clock for tests: time is passed in, never slept."""

    def __init__(self, at: datetime | None = None) -> None:
        self.current = at or datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday

    def now(self) -> datetime:
        return self.current

    def set(self, at: datetime) -> None:
        assert at.tzinfo is not None
        self.current = at

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current
