"""A contact point's voicemail inbox: its settings, the reviewers its coordinators name, and the
voicemails — listened to (each listen audited), marked handled, passed to a group, deleted.

Who may open it: the contact point's coordinators, the volunteers they named reviewers, admins.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, undefer

from auth.models import Staff
from core.clock import local_time
from groups.models import Group
from helpline import seats, service, voicemail
from helpline.exceptions import (
    PassedToUnknownGroup,
    ReviewersOnly,
    VoicemailAtTwilio,
    VoicemailNotFetched,
    VoicemailNotFound,
    VolunteerNotFound,
)
from helpline.models import ContactPoint, FetchState, Voicemail, Volunteer, voicemail_reviewers
from helpline.voicemail_schemas import ReviewerRead, VoicemailRead, VoicemailSettings


def settings_of(point: ContactPoint) -> VoicemailSettings:
    return VoicemailSettings(
        out_of_hours=point.voicemail_out_of_hours,
        no_answer=point.voicemail_no_answer,
        max_seconds=point.voicemail_max_seconds,
        review_at=point.voicemail_review_at,
        retention_days=point.voicemail_retention_days,
    )


def change_settings(
    session: Session, point: ContactPoint, *, actor: Staff, data: VoicemailSettings
) -> VoicemailSettings:
    """New settings. A new retention applies to the voicemails kept now too: shortened, they go
    sooner (the next retention run destroys those already past it)."""
    point.voicemail_out_of_hours = data.out_of_hours
    point.voicemail_no_answer = data.no_answer
    point.voicemail_max_seconds = data.max_seconds
    point.voicemail_review_at = data.review_at
    if point.voicemail_retention_days != data.retention_days:
        point.voicemail_retention_days = data.retention_days
        kept = session.scalars(select(Voicemail).where(Voicemail.contact_point_id == point.id))
        for kept_voicemail in kept:
            kept_voicemail.deletes_at = voicemail.deletes_at(point, kept_voicemail.received_at)
    seats.audited(session, actor, "helpline.voicemail_settings", "contact_point", point.id)
    session.flush()
    return settings_of(point)


# --- reviewers ---


def reviewer_ids(session: Session, point_id: int) -> set[int]:
    """The staff accounts of the contact point's named reviewers."""
    rows = session.scalars(
        select(Volunteer.staff_id)
        .join(voicemail_reviewers, voicemail_reviewers.c.volunteer_id == Volunteer.id)
        .where(voicemail_reviewers.c.contact_point_id == point_id)
    )
    return set(rows)


def reviewed_ids(session: Session, staff: Staff) -> set[int]:
    """The contact points whose voicemail ``staff`` was named to review."""
    rows = session.scalars(
        select(voicemail_reviewers.c.contact_point_id)
        .join(Volunteer, Volunteer.id == voicemail_reviewers.c.volunteer_id)
        .where(Volunteer.staff_id == staff.id)
    )
    return set(rows)


def may_review(session: Session, staff: Staff, point_id: int) -> bool:
    return service.is_coordinator(session, staff, point_id) or staff.id in reviewer_ids(
        session, point_id
    )


def check_reviewer(session: Session, staff: Staff, point: ContactPoint) -> None:
    if not may_review(session, staff, point.id):
        raise ReviewersOnly()


def list_reviewers(session: Session, point: ContactPoint) -> list[ReviewerRead]:
    rows = session.execute(
        select(Volunteer.id, Staff.username)
        .join(Staff, Staff.id == Volunteer.staff_id)
        .join(voicemail_reviewers, voicemail_reviewers.c.volunteer_id == Volunteer.id)
        .where(voicemail_reviewers.c.contact_point_id == point.id)
        .order_by(Staff.username)
    )
    return [ReviewerRead(volunteer_id=row[0], username=row[1]) for row in rows]


def name_reviewer(
    session: Session, point: ContactPoint, volunteer_id: int, *, actor: Staff
) -> None:
    """A volunteer of this contact point reviews its voicemail (naming one twice is no change)."""
    if not service.serves_at(session, volunteer_id, point.id):
        raise VolunteerNotFound()
    named = session.execute(
        select(voicemail_reviewers).where(
            voicemail_reviewers.c.contact_point_id == point.id,
            voicemail_reviewers.c.volunteer_id == volunteer_id,
        )
    ).first()
    if named is not None:
        return
    session.execute(
        insert(voicemail_reviewers).values(contact_point_id=point.id, volunteer_id=volunteer_id)
    )
    seats.audited(session, actor, "helpline.reviewer_named", "volunteer", volunteer_id)


def remove_reviewer(
    session: Session, point: ContactPoint, volunteer_id: int, *, actor: Staff
) -> None:
    removed: int = (
        session.connection()
        .execute(
            delete(voicemail_reviewers).where(
                voicemail_reviewers.c.contact_point_id == point.id,
                voicemail_reviewers.c.volunteer_id == volunteer_id,
            )
        )
        .rowcount
    )
    if not removed:
        raise VolunteerNotFound()
    seats.audited(session, actor, "helpline.reviewer_removed", "volunteer", volunteer_id)


# --- the voicemails ---


def gone_at_twilio(voicemail: Voicemail) -> bool:
    return voicemail.deleted_at_twilio is not None or voicemail.fetch_state is FetchState.failed


def groups_to_pass_to(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.name)))


def list_voicemails(session: Session, point: ContactPoint) -> list[VoicemailRead]:
    rows = session.scalars(
        select(Voicemail)
        .where(Voicemail.contact_point_id == point.id)
        .order_by(Voicemail.received_at.desc(), Voicemail.id.desc())
    )
    return [read(session, point, voicemail) for voicemail in rows]


def read(session: Session, point: ContactPoint, voicemail: Voicemail) -> VoicemailRead:
    zone = point.time_zone
    handler = session.get(Staff, voicemail.handled_by_id) if voicemail.handled_by_id else None
    group = (
        session.get(Group, voicemail.passed_to_group_id) if voicemail.passed_to_group_id else None
    )
    return VoicemailRead(
        id=voicemail.id,
        received_at=voicemail.received_at,
        received_local=local_time(voicemail.received_at, zone, "%Y-%m-%d %H:%M"),
        duration_seconds=voicemail.duration_seconds,
        state=voicemail.fetch_state,
        attempts=voicemail.attempts,
        last_error=voicemail.last_error,
        next_attempt_at=voicemail.next_attempt_at,
        deleted_at_twilio=voicemail.deleted_at_twilio,
        handled_at=voicemail.handled_at,
        handled_by=handler.username if handler else None,
        passed_to_group_id=voicemail.passed_to_group_id,
        passed_to_group=group.name if group else None,
        deletes_at=voicemail.deletes_at,
        deletes_on=voicemail.deletes_at.astimezone(ZoneInfo(zone)).date(),
    )


def get_voicemail(session: Session, point: ContactPoint, voicemail_id: int) -> Voicemail:
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None or voicemail.contact_point_id != point.id:
        raise VoicemailNotFound()
    return voicemail


def play(
    session: Session, point: ContactPoint, voicemail_id: int, *, actor: Staff
) -> tuple[bytes, str]:
    """The decrypted audio and its media type; the listen is audited."""
    voicemail = session.scalar(
        select(Voicemail)
        .where(Voicemail.id == voicemail_id, Voicemail.contact_point_id == point.id)
        .options(undefer(Voicemail.audio))
    )
    if voicemail is None:
        raise VoicemailNotFound()
    if voicemail.fetch_state is not FetchState.fetched or voicemail.audio is None:
        raise VoicemailNotFetched()
    seats.audited(session, actor, "helpline.voicemail_played", "voicemail", voicemail.id)
    return voicemail.audio, voicemail.audio_type


def mark_handled(
    session: Session, point: ContactPoint, voicemail_id: int, *, actor: Staff, now: datetime
) -> Voicemail:
    voicemail = get_voicemail(session, point, voicemail_id)
    if voicemail.handled_at is None:
        voicemail.handled_at, voicemail.handled_by_id = now, actor.id
        seats.audited(session, actor, "helpline.voicemail_handled", "voicemail", voicemail.id)
    session.flush()
    return voicemail


def pass_to_group(
    session: Session,
    point: ContactPoint,
    voicemail_id: int,
    *,
    group_id: int,
    actor: Staff,
    now: datetime,
) -> Voicemail:
    """Noted as passed to a group (and so handled)."""
    voicemail = get_voicemail(session, point, voicemail_id)
    if session.get(Group, group_id) is None:
        raise PassedToUnknownGroup()
    voicemail.passed_to_group_id = group_id
    if voicemail.handled_at is None:
        voicemail.handled_at, voicemail.handled_by_id = now, actor.id
    seats.audited(session, actor, "helpline.voicemail_passed", "voicemail", voicemail.id)
    session.flush()
    return voicemail


def delete_voicemail(
    session: Session, point: ContactPoint, voicemail_id: int, *, actor: Staff
) -> None:
    """Gone for good. One whose copy is still at Twilio waits until the job has fetched and
    deleted it there: deleting our row first would leave Twilio's copy behind for ever."""
    voicemail = get_voicemail(session, point, voicemail_id)
    if not gone_at_twilio(voicemail):
        raise VoicemailAtTwilio()
    session.delete(voicemail)
    seats.audited(session, actor, "helpline.voicemail_deleted", "voicemail", voicemail_id)
    session.flush()
