"""A contact point's month in figures under ``/api/v1/helpline`` (its coordinators and admins):
as JSON, and as a CSV file for a spreadsheet (its columns: ``helpline.figures.to_csv``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS
from helpline import figures
from helpline.dependencies import CoordinatedPoint
from helpline.schemas import FiguresRead

router = APIRouter(prefix="/api/v1/helpline", tags=["helpline"], responses=API_ERRORS)
POINT = "/contact-points/{point_id}"
MonthQuery = Annotated[
    str | None,
    Query(max_length=16, description="YYYY-MM, the contact point's local month (default: now)"),
]


@router.get(POINT + "/figures", response_model=FiguresRead)
def month_figures(
    point: CoordinatedPoint, session: SessionDep, now: Now, month: MonthQuery = None
) -> object:
    """A month in figures (coordinators): calls by local weekday and hour, outcomes, median
    wait, shifts; counts only, nothing about any caller."""
    return figures.month_figures(session, point, figures.month_of(point, month, now=now), now=now)


@router.get(
    POINT + "/figures.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one figure a row"}},
)
def month_figures_csv(
    point: CoordinatedPoint, session: SessionDep, now: Now, month: MonthQuery = None
) -> Response:
    """The same month as a CSV file (coordinators): month,section,name,weekday,hour,value."""
    found = figures.month_figures(session, point, figures.month_of(point, month, now=now), now=now)
    return csv_response(found)


def csv_response(found: FiguresRead) -> Response:
    """The figures as a CSV download named after the contact point's id and the month."""
    name = figures.csv_filename(found)
    return Response(
        content=figures.to_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
