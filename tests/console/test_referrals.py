from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from groups import members as members_service
from groups.models import Referral, ReferralStatus
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import MEMBER_PHONES, create_group, create_member, create_staff

PHONE = MEMBER_PHONES[-1]


def _referral_fields(group_id: int, **changes: str) -> dict[str, str]:
    fields = {
        "group_id": str(group_id),
        "alias": "Kasia",
        "phone": PHONE,
        "email": "kasia@example.org",
        "language": "pl",
        "consent": "yes",
        "note": "knows the group from the helpline",
    }
    return {**fields, **changes}


def _pending(db: Session, group_id: int) -> list[Referral]:
    return list(
        db.scalars(
            select(Referral).where(
                Referral.group_id == group_id, Referral.status == ReferralStatus.pending
            )
        )
    )


def test_a_helper_files_a_referral_and_nothing_personal_goes_into_a_url(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now(), name="Evening group")
    sign_in(client, create_staff(db, Role.helper))
    form = client.get("/console/referrals/new")
    assert "Evening group" in form.text
    response = post_form(client, "/console/referrals", _referral_fields(group.id))
    assert response.status_code == 303
    assert response.headers["location"] == "/console/referrals/new"
    assert "Thank you" in client.get("/console/referrals/new").text
    [referral] = _pending(db, group.id)
    assert referral.alias == "Kasia" and referral.phone == PHONE
    for value in (PHONE, "kasia", "Kasia"):
        assert value not in response.headers["location"]
        assert value not in response.headers.get("set-cookie", "")


def test_bad_referral_input_is_explained_next_to_each_field(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    sign_in(client, create_staff(db, Role.helper))
    fields = _referral_fields(group.id, phone="12345", email="not-an-email", consent="")
    response = post_form(client, "/console/referrals", fields, page="/console/referrals/new")
    assert response.status_code == 422
    for name in ("phone", "email", "consent"):
        assert f'id="{name}-error"' in response.text, name
    assert "international form" in response.text
    assert "consent is required" in response.text
    assert 'value="Kasia"' in response.text  # what was typed stays in the form
    assert _pending(db, group.id) == []


def test_text_that_hides_itself_is_explained_next_to_its_field(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    sign_in(client, create_staff(db, Role.helper))
    # A right-to-left override would show "Kasia" as "aisaK"; a textarea's lines arrive as CR LF.
    fields = _referral_fields(group.id, alias="\u202eaisaK", note="שלום.\r\nDzwoni po 19:00")
    response = post_form(client, "/console/referrals", fields, page="/console/referrals/new")
    assert response.status_code == 422
    assert 'id="alias-error"' in response.text and 'id="note-error"' not in response.text
    assert "invisible direction control (U+202E)" in response.text
    assert "type it again rather than pasting it" in response.text
    assert _pending(db, group.id) == []
    fields = _referral_fields(group.id, alias="קסיה", note="שלום.\r\nDzwoni po 19:00")
    assert post_form(client, "/console/referrals", fields).status_code == 303
    [referral] = _pending(db, group.id)
    assert (referral.alias, referral.note) == ("קסיה", "שלום.\nDzwoni po 19:00")


def test_helpers_cannot_open_the_queue_or_member_lists(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    sign_in(client, create_staff(db, Role.helper))
    assert client.get("/console/referrals").status_code == 403
    assert client.get(f"/console/groups/{group.id}").status_code == 403
    nav = client.get("/console/referrals/new").text
    assert "Referral queue" not in nav and "My groups" not in nav


def test_the_queue_flags_previously_ejected_numbers_and_shows_only_my_groups(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    other = create_group(db, now=clock.now(), moderator=create_staff(db))
    old = create_member(db, group, now=clock.now(), phone=PHONE)
    members_service.eject(db, actor=moderator, membership=old.membership, now=clock.now())
    sign_in(client, moderator)
    post_form(client, "/console/referrals", _referral_fields(group.id, alias="Returner"))
    post_form(client, "/console/referrals", _referral_fields(other.id, alias="Elsewhere"))
    queue = client.get("/console/referrals").text
    assert "Returner" in queue
    assert "Previously ejected" in queue
    assert "Elsewhere" not in queue
    [foreign] = _pending(db, other.id)
    assert post_form(client, f"/console/referrals/{foreign.id}/approve").status_code == 404
    assert foreign.status is ReferralStatus.pending


def test_approval_shows_the_credentials_once_with_what_to_tell_the_member(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    sign_in(client, moderator)
    post_form(client, "/console/referrals", _referral_fields(group.id))
    [referral] = _pending(db, group.id)
    response = post_form(client, f"/console/referrals/{referral.id}/approve")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "Approved: Kasia is a member" in response.text
    number = response.text.split('id="participant-number">')[1].split("<")[0]
    pin = response.text.split('id="pin">')[1].split("<")[0]
    assert number.isdigit() and pin.isdigit()
    assert "press the hash key" in response.text
    assert group.lines[0].number in response.text
    assert referral.status is ReferralStatus.approved
    again = post_form(client, f"/console/referrals/{referral.id}/approve")
    assert again.status_code == 409 and "already approved" in again.text
    group_page = client.get(f"/console/groups/{group.id}").text
    assert "Kasia" in group_page and pin not in group_page and number not in group_page


def test_rejecting_a_referral(client: TestClient, db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    sign_in(client, moderator)
    post_form(client, "/console/referrals", _referral_fields(group.id))
    [referral] = _pending(db, group.id)
    response = post_form(
        client, f"/console/referrals/{referral.id}/reject", {"reason": "already in another group"}
    )
    assert response.headers["location"] == "/console/referrals"
    assert referral.status is ReferralStatus.rejected
    assert referral.decision_reason == "already in another group"
    assert "No referrals are waiting." in client.get("/console/referrals").text


def test_the_form_offers_the_language_of_the_group_it_shows_first(
    client: TestClient, db: Session, clock: Clock
) -> None:
    polish = create_group(db, now=clock.now(), name="Anonymous circle", language="pl")
    create_group(db, now=clock.now(), name="Zebra circle", language="en")
    sign_in(client, create_staff(db, Role.helper))
    form = client.get("/console/referrals/new").text
    assert f'<option value="{polish.id}" selected data-language="pl">' in form
    assert '<option value="pl" selected>Polish</option>' in form
    assert '<option value="en" selected>' not in form
    assert 'name="language_offered" value="pl"' in form


def test_a_language_left_as_offered_becomes_the_chosen_groups_and_a_chosen_one_stays(
    client: TestClient, db: Session, clock: Clock
) -> None:
    # What a browser without the form's script sends: the Hebrew group chosen, the language
    # field as the page offered it (Polish, the first group's), or changed by hand.
    create_group(db, now=clock.now(), name="Anonymous circle", language="pl")
    hebrew = create_group(db, now=clock.now(), name="Zebra circle", language="he")
    sign_in(client, create_staff(db, Role.helper))
    for alias, language in (("Left", "pl"), ("Chosen", "en")):
        fields = _referral_fields(hebrew.id, alias=alias, language=language, language_offered="pl")
        post_form(client, "/console/referrals", fields, page="/console/referrals/new")
    languages = {referral.alias: referral.language for referral in _pending(db, hebrew.id)}
    assert languages == {"Left": "he", "Chosen": "en"}
    mistake = _referral_fields(hebrew.id, phone="12345", language="pl", language_offered="pl")
    again = post_form(client, "/console/referrals", mistake, page="/console/referrals/new")
    assert '<option value="he" selected>Hebrew</option>' in again.text
    assert 'name="language_offered" value="he"' in again.text


def test_languages_are_shown_by_name(client: TestClient, db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator, name="Circle", language="pl")
    member = create_member(db, group, now=clock.now())
    sign_in(client, moderator)
    post_form(client, "/console/referrals", _referral_fields(group.id, language="he"))
    assert ">Circle (Polish)</option>" in client.get("/console/referrals/new").text
    assert "· in Hebrew ·" in client.get("/console/referrals").text
    assert "· in Polish ·" in client.get(f"/console/groups/{group.id}").text
    member_page = client.get(f"/console/memberships/{member.membership.id}").text
    assert "<dt>Language</dt><dd>English</dd>" in member_page
