"""The voicemail inbox through the API: what the list shows (the time, the length, the state,
when it goes — nothing about the caller), the audio decrypted for each listen and each listen
audited, handled, passed to a group, deleted; and the clear answers to what cannot be done."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import AuditEntry
from helpline.models import FetchState, Voicemail
from tests.clock import Clock
from tests.factories import auth_headers
from tests.helpline.test_role_matrix import NOW, P
from tests.helpline.test_role_matrix_voicemail import Inbox, build_inbox


def inbox_of(client: TestClient, db: Session, clock: Clock) -> tuple[Inbox, dict[str, str]]:
    clock.set(NOW)
    built = build_inbox(db)
    return built, auth_headers(client, built.reviewer)


def test_the_list_shows_time_length_state_and_when_it_goes_in_local_time(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, headers = inbox_of(client, db, clock)

    [item] = client.get(P.format(built.world.point.id) + "/voicemails", headers=headers).json()

    assert item["received_local"] == "2026-03-02 08:00"  # 07:00 UTC, Warsaw in winter
    assert item["duration_seconds"] == 14 and item["state"] == "fetched"
    assert item["deletes_on"] == "2026-03-29"
    assert "caller_key" not in item and "call_id" not in item and "recording_sid" not in item


def test_each_listen_gets_the_decrypted_audio_and_is_audited(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, headers = inbox_of(client, db, clock)
    url = P.format(built.world.point.id) + f"/voicemails/{built.voicemail.id}/audio"

    for _ in range(2):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.content == b"RIFF....WAVE"
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers["cache-control"] == "no-store"

    listens = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "helpline.voicemail_played")
    ).all()
    assert [(e.actor_id, e.target_id) for e in listens] == [
        (built.reviewer.id, built.voicemail.id)
    ] * 2


def test_handled_and_passed_to_a_group_show_in_the_list(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, headers = inbox_of(client, db, clock)
    base = P.format(built.world.point.id) + f"/voicemails/{built.voicemail.id}"

    passed = client.post(base + "/passed", json={"group_id": built.group.id}, headers=headers)

    assert passed.status_code == 200
    body = passed.json()
    assert body["passed_to_group"] == "Grupa Wtorkowa"
    assert body["handled_by"] == built.reviewer.username and body["handled_at"] is not None


def test_passing_to_a_group_that_does_not_exist_is_a_clear_4xx_and_changes_nothing(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, headers = inbox_of(client, db, clock)
    base = P.format(built.world.point.id) + f"/voicemails/{built.voicemail.id}"

    response = client.post(base + "/passed", json={"group_id": 999_999}, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"] == "no such group to pass the voicemail to"
    db.expire_all()
    assert db.get_one(Voicemail, built.voicemail.id).handled_at is None


def test_a_voicemail_still_at_twilio_cannot_be_played_or_deleted_yet(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, headers = inbox_of(client, db, clock)
    built.voicemail.fetch_state = FetchState.pending
    built.voicemail.audio = None
    built.voicemail.deleted_at_twilio = None
    built.voicemail.next_attempt_at = NOW + timedelta(minutes=2)
    db.flush()
    base = P.format(built.world.point.id) + f"/voicemails/{built.voicemail.id}"

    played = client.get(base + "/audio", headers=headers)
    deleted = client.delete(base, headers=headers)

    assert played.status_code == 409 and "not been fetched" in played.json()["detail"]
    assert deleted.status_code == 409 and "still at Twilio" in deleted.json()["detail"]
    [item] = client.get(P.format(built.world.point.id) + "/voicemails", headers=headers).json()
    assert item["state"] == "pending"


def test_a_deleted_voicemail_is_gone(client: TestClient, db: Session, clock: Clock) -> None:
    built, headers = inbox_of(client, db, clock)
    base = P.format(built.world.point.id) + f"/voicemails/{built.voicemail.id}"

    assert client.delete(base, headers=headers).status_code == 204

    assert client.get(base + "/audio", headers=headers).status_code == 404
    assert client.get(P.format(built.world.point.id) + "/voicemails", headers=headers).json() == []


def test_naming_someone_who_is_not_a_volunteer_here_a_reviewer_is_a_404(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, _ = inbox_of(client, db, clock)
    headers = auth_headers(client, built.world.coordinator)

    response = client.put(
        P.format(built.world.point.id) + "/voicemail-reviewers/999999", headers=headers
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "no such volunteer at this contact point"


def test_a_review_time_that_is_not_a_time_is_refused(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, _ = inbox_of(client, db, clock)
    headers = auth_headers(client, built.world.coordinator)
    body = {
        "out_of_hours": True,
        "no_answer": True,
        "max_seconds": 180,
        "review_at": "25:00",
        "retention_days": 30,
    }

    response = client.put(
        P.format(built.world.point.id) + "/voicemail-settings", json=body, headers=headers
    )

    assert response.status_code == 422


def test_a_shorter_retention_brings_the_kept_voicemails_end_forward_too(
    client: TestClient, db: Session, clock: Clock
) -> None:
    built, _ = inbox_of(client, db, clock)
    headers = auth_headers(client, built.world.coordinator)
    url = P.format(built.world.point.id)
    body = {
        "out_of_hours": True,
        "no_answer": True,
        "max_seconds": 180,
        "review_at": "09:00",
        "retention_days": 7,
    }

    response = client.put(url + "/voicemail-settings", json=body, headers=headers)

    assert response.status_code == 200, response.text
    [item] = client.get(url + "/voicemails", headers=headers).json()
    assert item["deletes_on"] == "2026-03-09"  # a week after 2 March, not 29 March
