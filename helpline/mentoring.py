"""Sponsorship in service: a new volunteer is a candidate for a period (a year unless the
coordinator says otherwise) with an experienced volunteer of the contact point as mentor.

A candidate signs up only for shifts on which their mentor already has a seat — or, when the
contact point allows it (``any_experienced_mentor``), any experienced volunteer (one with no open
candidacy there). The coordinators are told a month before the candidacy ends (at
``terms.NOTICE_TIME`` local, once per candidacy and end date) and confirm the volunteer as
experienced or extend the candidacy. A coordinator seating a candidate by hand is not held to the
rule: they decide.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from helpline.exceptions import (
    AlreadyCandidate,
    CandidacyClosed,
    CandidacyNotFound,
    CandidateNeedsMentor,
    MentorNotExperienced,
    NotOnThisContactPoint,
)
from helpline.models import (
    Candidacy,
    CandidacyStatus,
    ContactPoint,
    Shift,
    Volunteer,
    contact_point_coordinators,
    contact_point_volunteers,
)
from helpline.terms import notice_at, shift_months
from notifications import notices

NOTICE_MONTHS = 1


def _audited(session: Session, actor: Staff, action: str, candidacy: Candidacy) -> None:
    audit.record(
        session, actor_id=actor.id, action=action, target_type="candidacy", target_id=candidacy.id
    )


def open_candidacy(session: Session, point_id: int, volunteer_id: int) -> Candidacy | None:
    return session.scalar(
        select(Candidacy).where(
            Candidacy.contact_point_id == point_id,
            Candidacy.volunteer_id == volunteer_id,
            Candidacy.status == CandidacyStatus.open,
        )
    )


def candidates(session: Session, point: ContactPoint) -> list[Candidacy]:
    query = select(Candidacy).where(Candidacy.contact_point_id == point.id)
    return list(session.scalars(query.order_by(Candidacy.ends_on, Candidacy.id)))


def get_candidacy(session: Session, point: ContactPoint, candidacy_id: int) -> Candidacy:
    found = session.get(Candidacy, candidacy_id)
    if found is None or found.contact_point_id != point.id:
        raise CandidacyNotFound()
    return found


def _serves(session: Session, point: ContactPoint, volunteer_id: int) -> bool:
    found = session.scalar(
        select(contact_point_volunteers.c.volunteer_id).where(
            contact_point_volunteers.c.contact_point_id == point.id,
            contact_point_volunteers.c.volunteer_id == volunteer_id,
        )
    )
    return found is not None


def add_candidate(
    session: Session,
    point: ContactPoint,
    *,
    actor: Staff,
    volunteer: Volunteer,
    mentor: Volunteer,
    starts_on: date | None,
    months: int,
    now: datetime,
) -> Candidacy:
    """The volunteer is a candidate from ``starts_on`` (default today, local) for ``months``."""
    if not _serves(session, point, volunteer.id):
        raise NotOnThisContactPoint()
    if open_candidacy(session, point.id, volunteer.id) is not None:
        raise AlreadyCandidate()
    experienced = open_candidacy(session, point.id, mentor.id) is None
    if mentor.id == volunteer.id or not experienced or not _serves(session, point, mentor.id):
        raise MentorNotExperienced()
    start = starts_on or now.astimezone(ZoneInfo(point.time_zone)).date()
    candidacy = Candidacy(
        contact_point_id=point.id,
        volunteer_id=volunteer.id,
        mentor_id=mentor.id,
        starts_on=start,
        ends_on=shift_months(start, months),
        status=CandidacyStatus.open,
    )
    session.add(candidacy)
    session.flush()
    _audited(session, actor, "candidacy.create", candidacy)
    return candidacy


def confirm(session: Session, candidacy: Candidacy, *, actor: Staff) -> Candidacy:
    """The candidate is experienced from now on."""
    if candidacy.status is not CandidacyStatus.open:
        raise CandidacyClosed()
    candidacy.status = CandidacyStatus.confirmed
    session.flush()
    _audited(session, actor, "candidacy.confirm", candidacy)
    return candidacy


def extend(session: Session, candidacy: Candidacy, *, actor: Staff, months: int) -> Candidacy:
    """The candidacy goes on ``months`` longer; the coordinators are told again before the new
    end."""
    if candidacy.status is not CandidacyStatus.open:
        raise CandidacyClosed()
    candidacy.ends_on = shift_months(candidacy.ends_on, months)
    session.flush()
    _audited(session, actor, "candidacy.extend", candidacy)
    return candidacy


def check_sign_up(
    session: Session, point: ContactPoint, shift: Shift, volunteer: Volunteer
) -> None:
    """A candidate's sign-up needs their mentor (or, if allowed, an experienced volunteer)
    already seated on the shift; the error names nobody."""
    candidacy = open_candidacy(session, point.id, volunteer.id)
    if candidacy is None:
        return
    seated = {seat.volunteer_id for seat in shift.seats if seat.volunteer_id is not None}
    if candidacy.mentor_id in seated:
        return
    if point.any_experienced_mentor:
        still_candidates = set(
            session.scalars(
                select(Candidacy.volunteer_id).where(
                    Candidacy.contact_point_id == point.id,
                    Candidacy.status == CandidacyStatus.open,
                    Candidacy.volunteer_id.in_(seated),
                )
            )
        )
        if seated - still_candidates:
            return
    raise CandidateNeedsMentor(point.any_experienced_mentor)


def candidates_alone(session: Session, point: ContactPoint, shift: Shift) -> bool:
    """Whether a candidate seated on ``shift`` no longer has whom their sign-up needed beside
    them (their mentor, or an experienced volunteer where that is enough)."""
    seated = [seat.volunteer_id for seat in shift.seats if seat.volunteer_id is not None]
    for volunteer_id in seated:
        candidacy = open_candidacy(session, point.id, volunteer_id)
        if candidacy is None:
            continue
        try:
            check_sign_up(session, point, shift, session.get_one(Volunteer, volunteer_id))
        except CandidateNeedsMentor:
            return True
    return False


def notify_candidacies_ending(session: Session, *, now: datetime) -> int:
    """Tell the coordinators of each candidacy ending in a month; how many messages were new."""
    rows = session.execute(
        select(Candidacy, ContactPoint)
        .join(ContactPoint, ContactPoint.id == Candidacy.contact_point_id)
        .where(Candidacy.status == CandidacyStatus.open)
    ).all()
    count = 0
    for candidacy, point in rows:
        due = notice_at(shift_months(candidacy.ends_on, -NOTICE_MONTHS), point.time_zone)
        if not due <= now < notice_at(candidacy.ends_on, point.time_zone):
            continue
        coordinators = session.scalars(
            select(contact_point_coordinators.c.staff_id).where(
                contact_point_coordinators.c.contact_point_id == point.id
            )
        )
        count += notices.notify_helpline(
            session,
            event="candidacy_ending",
            contact_point_id=point.id,
            subject_id=candidacy.id,
            about=str(candidacy.ends_on),
            staff_ids=list(coordinators),
            now=now,
        )
    return count
