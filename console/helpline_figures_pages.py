"""A contact point's month in figures, for the team's monthly meeting (its coordinators and
admins, by the API's rule): the headline numbers, calls by local weekday and hour as a table
shaded like a heat map, bar charts drawn as SVG on the server, and the month as a CSV file.
Counts only: ``helpline.figures`` reads nothing about any caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import charts
from console.dependencies import ConsoleCoordinatedPoint, ConsoleStaff
from console.helpline_views import OUTCOME_FILTERS, duration
from console.rendering import SECURITY_HEADERS, ngettext, render
from core.clock import Now
from core.database import SessionDep
from core.settings import get_settings
from helpline import figures, schedule
from helpline.models import CallOutcome, ContactPoint
from helpline.schemas import FiguresRead

router = APIRouter(prefix="/helpline")
MonthQuery = Annotated[str | None, Query(max_length=16, description="YYYY-MM")]
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HEAT_LEVELS = 4  # shades of a busy hour, besides none


@dataclass(frozen=True)
class Cell:
    calls: int
    level: int  # 0 (no calls) … HEAT_LEVELS (the month's busiest hour)


@dataclass(frozen=True)
class FiguresPage:
    point: ContactPoint
    figures: FiguresRead
    month_name: str  # "March 2026"
    month: str  # YYYY-MM
    previous: str
    next: str
    heat: list[tuple[int, list[Cell]]]  # each local hour, its weekdays' cells
    charts: list[charts.Chart]
    median_wait: str  # in words; empty without answered calls
    kept_days: int | None  # the call log's retention, when it has already taken part of the month


def _calls(count: int) -> str:
    return ngettext("%(num)d call", "%(num)d calls", count) % {"num": count}


def _heat(found: FiguresRead) -> list[tuple[int, list[Cell]]]:
    busiest = max(max(hours) for hours in found.by_weekday_hour) or 1
    return [
        (
            hour,
            [
                Cell(calls, -(-calls * HEAT_LEVELS // busiest))  # rounded up: 1 call shows
                for calls in (found.by_weekday_hour[day][hour] for day in range(7))
            ],
        )
        for hour in range(24)
    ]


def _charts(found: FiguresRead) -> list[charts.Chart]:
    weekdays = [
        (day[:3], f"{day}: {_calls(calls)}", calls)
        for day, calls in zip(DAYS, found.by_weekday, strict=True)
    ]
    hours = [
        (f"{hour:02d}", f"{hour:02d}:00–{hour:02d}:59: {_calls(calls)}", calls)
        for hour, calls in enumerate(found.by_hour)
    ]
    outcomes = [
        (label, f"{label}: {_calls(found.outcomes[outcome])}", found.outcomes[outcome])
        for outcome, label in OUTCOME_FILTERS.items()
        if outcome is not CallOutcome.ringing or found.outcomes[outcome]
    ]
    return [
        charts.columns("by-weekday", "Calls by weekday", weekdays),
        charts.columns("by-hour", "Calls by hour of the day", hours, label_every=3),
        charts.rows("by-outcome", "Calls by outcome", outcomes),
    ]


def figures_page(
    session: Session, point: ContactPoint, value: str | None, now: datetime
) -> FiguresPage:
    month = figures.month_of(point, value, now=now)
    found = figures.month_figures(session, point, month, now=now)
    wait = found.median_wait_seconds
    return FiguresPage(
        point=point,
        figures=found,
        month_name=month.first.strftime("%B %Y"),
        month=month.key,
        previous=schedule.month_key(month.previous),
        next=schedule.month_key(month.following),
        heat=_heat(found),
        charts=_charts(found),
        median_wait=duration(round(wait)) if wait is not None else "",
        kept_days=_trimmed(month.starts_at, now),
    )


def _trimmed(starts_at: datetime, now: datetime) -> int | None:
    """The days calls are kept, when retention has already deleted some of this month's."""
    kept = get_settings().retention_helpline_call_days
    return kept if starts_at < now - timedelta(days=kept) else None


@router.get("/{point_id}/figures")
def figures_view(
    request: Request,
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
    month: MonthQuery = None,
) -> Response:
    """The month in figures for the team meeting (coordinators)."""
    page = figures_page(session, point, month, now)
    return render(request, "helpline_figures.html", {"page": page, "days": DAYS}, staff=staff)


@router.get("/{point_id}/figures.csv")
def figures_csv(
    *, point: ConsoleCoordinatedPoint, session: SessionDep, now: Now, month: MonthQuery = None
) -> Response:
    """The month in figures as a CSV file, one figure a row (coordinators)."""
    found = figures.month_figures(session, point, figures.month_of(point, month, now=now), now=now)
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{figures.csv_filename(found)}"',
    }
    return Response(figures.to_csv(found), media_type="text/csv; charset=utf-8", headers=headers)
