"""The dial-in benchmark's callers, placed through Twilio's voice engine against the app."""

from __future__ import annotations

import asyncio
from typing import cast

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import baseline_app, callers
from bench.loadclient import Client
from conference.models import Call, CallStage
from core.settings import get_settings
from tests.fixtures.calls import BASE_URL, CALLER, World


class Posts:
    """``bench.loadclient.Client``'s ``post`` through the test's client, each form kept."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.forms: list[tuple[str, dict[str, str]]] = []

    async def post(
        self, url: str, data: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, str]:
        self.forms.append((url, data))
        response = self.client.post(url, data=data, headers=headers)
        return response.status_code, response.text


def twilio() -> callers.Twilio:
    return callers.Twilio(BASE_URL, get_settings().webhook_auth_token)


def caller(world: World, member: str = "member", phone: str = CALLER) -> callers.Caller:
    credentials = getattr(world, member)
    return callers.Caller(world.line_number, phone, credentials.participant_number, credentials.pin)


def steps(result: callers.CallResult) -> list[str]:
    return [name for name, _ in result.timings]


def test_a_member_reaches_the_waiting_room_through_the_engine(
    client: TestClient, world: World, db: Session
) -> None:
    posts, account = Posts(client), twilio()

    result = asyncio.run(callers.place_call(cast(Client, posts), account, caller(world)))

    assert result.error is None and result.joined
    assert steps(result) == ["entry", "participant_number", "pin", "join_callback", "wait"]
    conference = account.engine.conference_named(result.room or "")
    assert conference is not None and not conference.started  # no moderator yet: waiting
    assert list(conference.legs) == [result.call_sid]
    assert [url.removeprefix(BASE_URL) for url, _ in posts.forms] == [
        "/twilio/voice",
        "/twilio/voice/number",
        "/twilio/voice/pin",
        "/twilio/conference/status",
        "/twilio/conference/wait",
    ]
    row = db.scalars(select(Call).where(Call.call_sid == result.call_sid)).one()
    assert row.stage is CallStage.in_conference and row.joined_at is not None


def test_a_caller_who_leaves_and_the_rooms_emptied_as_twilio_reports_it(
    client: TestClient, world: World, db: Session
) -> None:
    posts, account = Posts(client), twilio()
    staying = asyncio.run(callers.place_call(cast(Client, posts), account, caller(world)))
    leaving = asyncio.run(
        callers.place_call(
            cast(Client, posts), account, caller(world, "other", "+48601999777"), leave=True
        )
    )

    assert steps(leaving)[-3:] == ["wait", "leave_callback", "dial_ended"]  # the room stays
    conference = account.engine.conference_named(staying.room or "")
    assert conference is not None and list(conference.legs) == [staying.call_sid]

    asyncio.run(callers.end_conferences(cast(Client, posts), account))
    assert conference.ended
    events = [form.get("StatusCallbackEvent") for _, form in posts.forms[-3:]]
    assert events == ["participant-leave", None, "conference-end"]  # None: the Dial's action
    db.expire_all()
    rows = db.scalars(select(Call).where(Call.call_sid.in_([staying.call_sid, leaving.call_sid])))
    assert all(row.left_at is not None for row in rows)


def test_a_reference_call_posts_what_twilio_would_post_at_each_step() -> None:
    with TestClient(baseline_app.create_app(), base_url=BASE_URL) as reference:
        posts = Posts(reference)
        line = callers.Caller("+12025550100", "+15005550006", "4321", "204817")
        result = asyncio.run(callers.place_baseline_call(cast(Client, posts), twilio(), line))

    assert result.error is None and result.joined
    assert steps(result) == list(callers.BASELINE_STEPS)
    digits = [form.get("Digits") for _, form in posts.forms]
    assert digits == [None, "4321", "204817", None]
    assert len({form["CallSid"] for _, form in posts.forms}) == 1
