"""The demo's rota and mentoring, so their pages have something to show: four groups taking
turns at Bielsko-Biała's shifts, three a month, with next month generated (the first group's
representative is a staff account, the others a name and a phone); a candidate with a mentor at
Warszawa; and Warszawa's coordinator's term. Seeded idempotently through the services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from auth.models import Staff
from helpline import mentoring, rota, terms
from helpline.exceptions import MonthHasNoShifts
from helpline.models import ContactPoint, Volunteer
from helpline.rota_schemas import RotaSettings, ServingGroupCreate

# Names of groups that are not in the system, representatives' phones from the fictional range.
GROUPS = (
    ("Grupa Jedność", None, None),
    ("Grupa Nadzieja", "Marta", "+12025550185"),
    ("Grupa Pogodna", "Tomasz", "+12025550186"),
    ("Grupa Źródło", "Ewa", "+12025550187"),
)
GROUPS_PER_MONTH = 3


def next_month(point: ContactPoint, now: datetime) -> date:
    today = now.astimezone(ZoneInfo(point.time_zone)).date()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def seed_rota(
    session: Session, admin: Staff, point: ContactPoint, representative: Staff, now: datetime
) -> None:
    if not rota.list_groups(session, point):
        point.rota_groups_per_month = GROUPS_PER_MONTH
        for name, contact, phone in GROUPS:
            data = (
                ServingGroupCreate(name=name, contact_name=contact, contact_phone=phone)
                if phone
                else ServingGroupCreate(name=name, representative_id=representative.id)
            )
            rota.add_group(session, point, actor=admin, data=data)
    month = next_month(point, now)
    if rota.get_month(session, point, month) is not None:
        return  # generated already (by the demo or a coordinator, who may have edited it)
    try:
        rota.generate(session, point, month=month, actor=admin, now=now)
    except MonthHasNoShifts:  # a coordinator removed every weekly shift
        return


def seed_mentoring(
    session: Session,
    admin: Staff,
    point: ContactPoint,
    volunteers: list[Volunteer],
    now: datetime,
) -> None:
    candidate, mentor = volunteers[-1], volunteers[0]
    if not mentoring.candidates(session, point):
        mentoring.add_candidate(
            session,
            point,
            actor=admin,
            volunteer=candidate,
            mentor=mentor,
            starts_on=None,
            months=12,
            now=now,
        )
    if point.coordinator_term_start is None:
        start = now.astimezone(ZoneInfo(point.time_zone)).date().replace(day=1)
        data = RotaSettings(coordinator_term_start=start - timedelta(days=365))
        terms.update_settings(session, point, actor=admin, data=data)
