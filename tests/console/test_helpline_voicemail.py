"""The voicemail inbox in the console: open to the coordinators and the reviewers they name, a
403 for another volunteer of the contact point and a 404 elsewhere; each listen audited; a
voicemail still at Twilio is refused deletion in words on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import AuditEntry
from helpline.models import FetchState
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.helpline.test_role_matrix import NOW
from tests.helpline.test_role_matrix_voicemail import Inbox, build_inbox


@pytest.fixture
def built(db: Session, clock: Clock) -> Inbox:
    clock.set(NOW)
    return build_inbox(db)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("coordinator", 200),
        ("reviewer", 200),
        ("volunteer", 403),
        ("other_coordinator", 404),
        ("helper", 404),
    ],
)
def test_who_may_open_the_inbox_and_play_a_voicemail(
    client: TestClient, db: Session, built: Inbox, who: str, status: int
) -> None:
    staff = built.caller(who)
    assert staff is not None
    sign_in(client, staff)
    page = f"/console/helpline/{built.world.point.id}/voicemail"

    assert client.get(page).status_code == status
    audio = client.get(f"{page}/{built.voicemail.id}/audio")

    assert audio.status_code == status
    listens = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "helpline.voicemail_played", AuditEntry.actor_id == staff.id)
    )
    assert listens == (1 if status == 200 else 0)
    if status == 200:
        assert audio.content == b"RIFF....WAVE" and audio.headers["cache-control"] == "no-store"


def test_the_page_shows_time_length_and_when_it_goes_and_never_the_caller(
    client: TestClient, built: Inbox
) -> None:
    sign_in(client, built.reviewer)

    html = client.get(f"/console/helpline/{built.world.point.id}/voicemail").text

    assert "2026-03-02 08:00" in html and "0:14" in html
    assert "Destroyed on Sun 29 Mar 2026" in html
    assert "<audio" in html
    assert str(built.world.call.caller_key) not in html
    assert built.voicemail.recording_sid not in html


def test_a_voicemail_still_at_twilio_is_refused_deletion_in_words(
    client: TestClient, db: Session, built: Inbox
) -> None:
    built.voicemail.fetch_state = FetchState.pending
    built.voicemail.deleted_at_twilio = None
    built.voicemail.next_attempt_at = NOW + timedelta(minutes=1)
    built.voicemail.attempts = 2
    built.voicemail.last_error = "fetch recording: Twilio answered 503"
    db.flush()
    sign_in(client, built.world.coordinator)
    page = f"/console/helpline/{built.world.point.id}/voicemail"

    html = client.get(page).text
    refused = post_form(client, f"{page}/{built.voicemail.id}/delete", page=page)

    assert "tried 2×, last error: fetch recording: Twilio answered 503" in html
    assert "<audio" not in html
    assert refused.status_code == 422  # the page again, the reason on it
    assert "still at Twilio" in refused.text


def test_a_coordinator_names_and_removes_reviewers_and_changes_the_settings(
    client: TestClient, db: Session, built: Inbox
) -> None:
    sign_in(client, built.world.coordinator)
    page = f"/console/helpline/{built.world.point.id}/voicemail"
    volunteer = built.world.volunteer.username

    assert f'<option value="{built.world.seated.id}">{volunteer}</option>' in client.get(page).text
    named = post_form(client, f"{page}/reviewers", {"volunteer_id": str(built.world.seated.id)})
    removed = post_form(client, f"{page}/reviewers/{built.world.spare.id}/remove", page=page)
    saved = post_form(
        client,
        f"{page}/settings",
        {"out_of_hours": "yes", "max_seconds": "90", "review_at": "08:15", "retention_days": "14"},
        page=page,
    )

    assert [r.status_code for r in (named, removed, saved)] == [303, 303, 303]
    db.expire_all()
    point = built.world.point
    assert (point.voicemail_out_of_hours, point.voicemail_no_answer) == (True, False)
    assert (point.voicemail_max_seconds, point.voicemail_review_at) == (90, "08:15")
    assert point.voicemail_retention_days == 14
    html = client.get(page).text
    assert f"Remove {volunteer} as a reviewer" in html
    assert f"Remove {built.reviewer.username} as a reviewer" not in html


def test_a_review_time_that_is_no_time_is_refused_on_the_page(
    client: TestClient, built: Inbox
) -> None:
    sign_in(client, built.world.coordinator)
    page = f"/console/helpline/{built.world.point.id}/voicemail"

    refused = post_form(
        client,
        f"{page}/settings",
        {"max_seconds": "90", "review_at": "25:00", "retention_days": "14"},
        page=page,
    )

    assert refused.status_code == 422
    assert "Give the time as HH:MM on the 24-hour clock" in refused.text


def test_a_reviewer_cannot_change_the_settings_or_the_reviewers(
    client: TestClient, built: Inbox
) -> None:
    sign_in(client, built.reviewer)
    page = f"/console/helpline/{built.world.point.id}/voicemail"

    html = client.get(page).text
    refused = post_form(client, f"{page}/reviewers/{built.world.spare.id}/remove", page=page)

    assert "Save the settings" not in html
    assert refused.status_code == 403
