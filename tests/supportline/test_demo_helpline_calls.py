"""The demo helpline's past: last month and this month so far have calls of every kind and
shifts, so the call log and the month in figures have something to show; none today or later,
and a second run the same day adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.database import get_sessionmaker
from helpline import figures
from helpline.models import CallOutcome, ContactPoint, HelplineCall, Leg
from supportline import demo

NOW = datetime(2026, 3, 16, 18, tzinfo=UTC)  # a Monday evening, halfway through March


def test_last_month_and_this_month_so_far_have_calls_and_shifts(own_database: Path) -> None:
    with get_sessionmaker().begin() as session:
        demo.seed(session, now=NOW)
    with get_sessionmaker().begin() as session:
        points = session.scalars(select(ContactPoint).order_by(ContactPoint.id)).all()
        assert len(points) == 3
        for point in points:
            for month in ("2026-02", "2026-03"):
                found = figures.month_figures(
                    session, point, figures.month_of(point, month, now=NOW), now=NOW
                )
                assert found.calls >= 20, (point.name, month)
                kinds = {outcome for outcome, count in found.outcomes.items() if count}
                assert {CallOutcome.answered, CallOutcome.out_of_hours} <= kinds
                assert len(kinds) >= 4
                assert found.median_wait_seconds is not None
                assert 0 < found.shifts.filled < found.shifts.planned
                assert found.weekends.calls and found.weekdays.calls
            february = figures.month_of(point, "2026-02", now=NOW)
            shifts = figures.month_figures(session, point, february, now=NOW).shifts
            assert shifts.cancelled == 1  # the 13th's
            today = figures.month_of(point, "2026-03", now=NOW).starts_at + timedelta(days=15)
            latest = session.scalar(
                select(func.max(HelplineCall.started_at)).where(
                    HelplineCall.contact_point_id == point.id
                )
            )
            assert latest is not None and latest < today  # local midnight, 16 March
        counts = [session.scalar(select(func.count(t.id))) for t in (HelplineCall, Leg)]
    with get_sessionmaker().begin() as session:
        demo.seed(session, now=NOW.replace(hour=20))
    with get_sessionmaker().begin() as session:
        assert [session.scalar(select(func.count(t.id))) for t in (HelplineCall, Leg)] == counts
