"""The voicemail inbox in Chromium on a phone-sized screen: a reviewer plays a voicemail (the
browser decodes the decrypted audio), marks it passed to a group, and deletes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core.audit import AuditEntry
from core.database import utcnow
from groups.models import Group
from helpline import inbox, service
from helpline.models import ContactPoint, FetchState, Voicemail
from supportline.emulator.recorder import tone
from tests.console.conftest import LiveServer
from tests.console.test_browser import look, seed, sign_in
from tests.factories import create_staff
from tests.helpline.world import contact_point

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    reviewer: Staff
    point_id: int
    group: str


def _inbox(session: Session, name: str = "Londyn") -> Seeded:
    admin = create_staff(session, Role.admin)
    built = contact_point(session, admin, name=name, language="en", zone="Europe/London")
    inbox.name_reviewer(session, built.point, built.volunteers[0].id, actor=admin)
    now = utcnow()
    sid = "RE" + "4" * 28 + f"{built.point.id:04d}"
    session.add(
        Voicemail(
            contact_point_id=built.point.id,
            recording_sid=sid,
            duration_seconds=3,
            received_at=now - timedelta(hours=2),
            audio=tone(3, sid),
            fetch_state=FetchState.fetched,
            deleted_at_twilio=now - timedelta(hours=2),
            deletes_at=now + timedelta(days=28),
        )
    )
    group = f"Grupa {built.point.id}"
    session.add(Group(name=group, topic="t", language="en", time_zone="Europe/London"))
    session.flush()
    return Seeded(built.staff[0], built.point.id, group)


PLAYED = """async () => {
  const audio = document.querySelector('audio');
  audio.muted = true;
  await new Promise((done, failed) => {
    audio.addEventListener('loadedmetadata', done, {once: true});
    audio.addEventListener('error', () => failed(new Error('audio error ' + audio.error.code)));
    audio.load();
  });
  return audio.duration;
}"""


def test_a_reviewer_on_a_phone_plays_a_voicemail_passes_it_on_and_deletes_it(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server, _inbox)
    sign_in(page, live_server, seeded.reviewer)
    page.goto(f"{live_server.url}/console/helpline/{seeded.point_id}/voicemail")
    expect(page.get_by_role("heading", name="Voicemail: Londyn")).to_be_visible()
    expect(page.get_by_text("0:03")).to_be_visible()
    look(page, "helpline-voicemail")

    assert page.evaluate(PLAYED) == pytest.approx(3.0, abs=0.1)

    page.get_by_label("Passed to", exact=True).select_option(label=seeded.group)
    page.get_by_role("button", name="Note the group").click()
    expect(page.get_by_text(f"Noted as passed to {seeded.group}.")).to_be_visible()
    expect(page.get_by_text(f"passed to {seeded.group}", exact=False).last).to_be_visible()
    look(page, "helpline-voicemail-passed")
    page.get_by_role("button", name="Delete the voicemail").click()
    expect(page.get_by_text("The voicemail is deleted.")).to_be_visible()
    expect(page.get_by_text("No voicemails.")).to_be_visible()

    with live_server.sessions.begin() as session:
        listens = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "helpline.voicemail_played")
            .where(AuditEntry.actor_id == seeded.reviewer.id)
        )
    assert listens and listens >= 1


def test_a_coordinator_on_a_phone_names_a_reviewer_and_saves_the_settings(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server, lambda session: _inbox(session, "Leeds"))
    with live_server.sessions.begin() as session:
        point = session.get_one(ContactPoint, seeded.point_id)
        coordinator = service.list_coordinators(session, point)[0]
        other = service.list_volunteers(session, point)[1][1].username
    sign_in(page, live_server, coordinator)
    page.goto(f"{live_server.url}/console/helpline/{seeded.point_id}/voicemail")
    look(page, "helpline-voicemail-coordinator")

    page.get_by_label("Name a reviewer").select_option(label=other)
    page.get_by_role("button", name="Name", exact=True).click()
    expect(page.get_by_text("The reviewer is named.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Remove {other} as a reviewer")).to_be_visible()
    page.get_by_label("Daily reminder at").fill("08:30")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("The voicemail settings are saved.")).to_be_visible()
    expect(page.get_by_label("Daily reminder at")).to_have_value("08:30")
