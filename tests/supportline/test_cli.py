"""The ``supportline`` CLI: staff accounts and PII key rotation, on a database of its own."""

from __future__ import annotations

import importlib.metadata
import json
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select, text
from typer.testing import CliRunner

from auth import service as auth_service
from auth.models import Role, Staff
from core import migrate, pii
from core.database import get_sessionmaker
from core.outage import NotReady
from core.pii import PiiKeyError
from core.settings import get_settings
from groups import members
from groups.models import Membership, Referral
from groups.service import Credentials
from notifications import notices, optout
from notifications.models import Kind, OutboxMessage
from supportline.cli import app
from supportline.readiness import check_stored_keys
from tests.factories import create_group, create_member
from tests.fixtures.settings import as_environment, change_settings, forget_settings
from tests.notifications.smtp_server import free_port

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
runner = CliRunner()


def test_staff_create_reads_the_password_from_stdin(own_database: Path) -> None:
    result = runner.invoke(
        app, ["staff", "create", "coordinator", "--role", "admin"], input="a good long password\n"
    )
    assert result.exit_code == 0, result.output
    assert "created admin 'coordinator'" in result.output
    assert "a good long password" not in result.output
    with get_sessionmaker().begin() as session:
        signed_in = auth_service.authenticate(
            session, username="coordinator", password="a good long password", now=NOW
        )
        staff = session.get_one(Staff, signed_in.id)
        assert staff.role is Role.admin
        assert "a good long password" not in staff.password_hash


def test_staff_create_has_no_password_argument(own_database: Path) -> None:
    result = runner.invoke(
        app, ["staff", "create", "someone", "--password", "a good long password"]
    )
    assert result.exit_code == 2
    assert "No such option" in result.output
    help_text = runner.invoke(app, ["staff", "create", "--help"]).output
    assert "--password " not in help_text and "--password-stdin" in help_text
    with get_sessionmaker().begin() as session:
        assert session.scalar(select(Staff).where(Staff.username == "someone")) is None


def test_staff_create_refuses_a_short_password_and_a_taken_name(own_database: Path) -> None:
    short = runner.invoke(app, ["staff", "create", "someone"], input="short\n")
    assert short.exit_code == 1
    assert "password: String should have at least 10 characters" in short.output
    runner.invoke(app, ["staff", "create", "someone"], input="a good long password\n")
    taken = runner.invoke(app, ["staff", "create", "someone"], input="a good long password\n")
    assert taken.exit_code == 1 and "already taken" in taken.output


def stored_tokens() -> list[str]:
    with get_sessionmaker().begin() as session:
        rows = session.execute(
            text(
                "SELECT phone FROM memberships WHERE phone IS NOT NULL UNION ALL "
                "SELECT email FROM referrals WHERE email IS NOT NULL UNION ALL "
                "SELECT email FROM staff WHERE email IS NOT NULL UNION ALL "
                "SELECT secret FROM outbox_messages WHERE secret IS NOT NULL"
            )
        )
        return [row[0] for row in rows]


def test_pii_rotate_re_encrypts_everything_with_the_new_key(own_database: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    change_settings(pii_keys=old)
    with get_sessionmaker().begin() as session:
        auth_service.create_staff(
            session,
            username="coordinator",
            password="a good long password",
            role=Role.admin,
            email="coordinator@example.org",
        )
        group = create_group(session, now=NOW)
        membership_id = create_member(session, group, now=NOW, phone="+48601888001").membership.id
    before = stored_tokens()
    assert len(before) == 4  # a member's phone, a referral's e-mail, staff e-mail, the queued PIN
    assert all(Fernet(old.encode()).decrypt(token.encode()) for token in before)

    # The new key alone cannot read what the old one wrote ...
    change_settings(pii_keys=new)
    with get_sessionmaker().begin() as session, pytest.raises(PiiKeyError):
        session.get_one(Membership, membership_id).phone  # noqa: B018

    # ... so it goes first, the old one stays for reading, and everything is rewritten.
    change_settings(pii_keys=f"{new},{old}")
    result = runner.invoke(app, ["pii", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted" in result.output
    after = stored_tokens()
    only_new = MultiFernet([Fernet(new.encode())])
    assert [only_new.decrypt(token.encode()) for token in after] == [
        Fernet(old.encode()).decrypt(token.encode()) for token in before
    ]
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(after[0].encode())

    # Now the old key can go.
    change_settings(pii_keys=new)
    with get_sessionmaker().begin() as session:
        membership = session.get_one(Membership, membership_id)
        assert membership.phone == "+48601888001"
        assert membership.participant_number is not None
        assert members.find_by_participant_number(session, membership.participant_number)
        staff = session.scalars(select(Staff)).first()
        assert staff is not None and staff.email == "coordinator@example.org"
        # The temporary PIN waiting in the outbox is still readable, so it can still be sent.
        pin = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.pin)).one()
        assert pin.secret is not None and pin.secret.isdigit()


OLD_KEY, NEW_KEY = "the previous secret key, long enough", "the new secret key, also long enough"


def group_with_a_stop() -> tuple[int, Credentials]:
    """Under OLD_KEY: a group with a member reminded and one who replied STOP (+48601888002),
    and the STOP of a number no longer stored; then SECRET_KEY becomes NEW_KEY."""
    change_settings(secret_key=OLD_KEY)
    with get_sessionmaker().begin() as session:
        group = create_group(session, now=NOW)
        reminded = create_member(session, group, now=NOW, phone="+48601888001")
        create_member(session, group, now=NOW, phone="+48601888002")
        optout.opt_out(session, phone_index=pii.phone_index("+48601888002"), now=NOW)
        optout.opt_out(session, phone_index=pii.phone_index("+48601888099"), now=NOW)  # gone
        group_id = group.id
    change_settings(secret_key=NEW_KEY)
    return group_id, reminded


def test_pii_reindex_after_a_new_secret_key_lets_members_dial_in_and_keeps_their_stop(
    own_database: Path,
) -> None:
    old = OLD_KEY
    group_id, reminded = group_with_a_stop()
    number = reminded.participant_number
    with get_sessionmaker().begin() as session:  # what a new key alone does: nobody dials in
        assert members.find_by_participant_number(session, number) is None

    result = runner.invoke(app, ["pii", "reindex"], input=f"{old}\n")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert old not in said
    assert "1 SMS opt-outs carried over; 1 of numbers no longer stored left as they were" in said
    with get_sessionmaker().begin() as session:
        found = members.find_by_participant_number(session, number)
        assert found is not None and found.id == reminded.membership.id
        assert notices.reachable_member_ids(session, group_id) == [reminded.membership.id]

    # Run again (the same previous key from the environment): nothing is lost or doubled.
    change_settings(previous_secret_key=old)
    again = runner.invoke(app, ["pii", "reindex"])
    assert again.exit_code == 0, again.output
    assert "1 SMS opt-outs carried over" in " ".join(again.output.split())
    with get_sessionmaker().begin() as session:
        assert optout.is_opted_out(session, pii.phone_index("+48601888002"))
        assert notices.reachable_member_ids(session, group_id) == [reminded.membership.id]
        # A STOP arriving now is computed with the new key and stops the member it came from.
        optout.opt_out(session, phone_index=pii.phone_index("+48601888001"), now=NOW)
        assert notices.reachable_member_ids(session, group_id) == []


def test_pii_reindex_without_the_previous_key_lets_members_dial_in_and_names_what_is_left(
    own_database: Path,
) -> None:
    group_id, reminded = group_with_a_stop()
    number = reminded.participant_number
    with get_sessionmaker().begin() as session:  # the previous key is lost: nobody dials in
        assert members.find_by_participant_number(session, number) is None
        with pytest.raises(NotReady, match="SUPPORTLINE_SECRET_KEY is not the key"):
            check_stored_keys(session)

    result = runner.invoke(app, ["pii", "reindex", "--without-previous-key"])  # asks nothing
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 SMS opt-outs carried over through the numbers still stored" in said
    assert "not carried over: 1 SMS opt-outs of numbers no longer stored or of staff phones" in said
    assert "failed PINs start afresh" in said
    assert not [value for value in (OLD_KEY, NEW_KEY, "48601888") if value in said]
    with get_sessionmaker().begin() as session:
        check_stored_keys(session)  # /readyz is ready again
        found = members.find_by_participant_number(session, number)
        assert found is not None and found.id == reminded.membership.id
        # The member who replied STOP under the lost key still gets no reminder.
        assert notices.reachable_member_ids(session, group_id) == [reminded.membership.id]

    again = runner.invoke(app, ["pii", "reindex", "--without-previous-key"])
    assert again.exit_code == 0, again.output
    assert "1 SMS opt-outs carried over" in " ".join(again.output.split())
    with get_sessionmaker().begin() as session:
        assert notices.reachable_member_ids(session, group_id) == [reminded.membership.id]


def test_pii_reindex_with_a_mistyped_previous_key_changes_nothing(own_database: Path) -> None:
    old = OLD_KEY
    group_id, reminded = group_with_a_stop()

    typo = runner.invoke(app, ["pii", "reindex"], input=old.replace("previous", "prevoius") + "\n")
    assert typo.exit_code == 1
    said = " ".join(typo.output.split())
    assert "check the previous SUPPORTLINE_SECRET_KEY. Nothing was changed." in said
    with get_sessionmaker().begin() as session:
        assert notices.reachable_member_ids(session, group_id) == [reminded.membership.id]
    assert runner.invoke(app, ["pii", "reindex"], input=f"{old}\n").exit_code == 0
    with get_sessionmaker().begin() as session:
        assert notices.reachable_member_ids(session, group_id) == [reminded.membership.id]


def test_db_upgrade_encrypts_the_decision_reasons_stored_in_clear(tmp_path: Path) -> None:
    change_settings(database_url=f"sqlite:///{tmp_path / 'old.db'}", data_dir=tmp_path)
    migrate.upgrade()  # the data is made with today's models, then the schema goes back
    with get_sessionmaker().begin() as session:
        group = create_group(session, now=NOW)
        referral = create_member(session, group, now=NOW).membership.referral_id
    command.downgrade(migrate.alembic_config(), "0004_revoked_sessions")  # reasons in clear
    reason = "Marek Kowalski's sister asked for him"
    with get_sessionmaker().begin() as session:
        session.execute(
            text("UPDATE referrals SET decision_reason = :r WHERE id = :id"),
            {"r": reason, "id": referral},
        )
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with get_sessionmaker().begin() as session:
        stored = session.scalar(text("SELECT decision_reason FROM referrals"))
        assert stored is not None and reason not in stored
        assert session.get_one(Referral, referral).decision_reason == reason
    forget_settings()


@pytest.mark.integration
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_to_start_with_malformed_pii_keys(
    tmp_path: Path, command: str
) -> None:
    env = as_environment(
        get_settings(),
        **{
            "SUPPORTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "SUPPORTLINE_DATA_DIR": str(tmp_path),
            "SUPPORTLINE_PII_KEYS": "not-a-fernet-key",
        },
    )
    supportline = str(Path(sys.executable).with_name("supportline"))
    # A process: were the check missing, serve and worker would run until stopped.
    done = subprocess.run(
        [supportline, command, "--port", str(free_port())]
        if command == "serve"
        else [supportline, command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    said = " ".join((done.stdout + done.stderr).split())
    assert "SUPPORTLINE_PII_KEYS holds a value that is not a Fernet key" in said
    assert not (tmp_path / "x.db").exists()  # stopped before touching the database


def test_serve_says_in_one_line_that_its_port_is_taken() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert "Traceback" not in result.output and "{" not in result.output


def test_the_demo_script_takes_a_port_and_refuses_one_that_is_not_a_number() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        ["bash", "scripts/demo.sh", "--port", "80a"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "demo.sh: --port takes a number, e.g. --port 8011"


def test_serve_says_first_its_version_environment_and_the_urls_twilio_calls(
    own_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr("supportline.cli.uvicorn.run", lambda target, **_: started.append(target))
    result = runner.invoke(app, ["serve", "--port", str(free_port()), "--no-scheduler"])
    assert result.exit_code == 0, result.output
    assert started == ["supportline.app:create_served_app"]
    block = result.output.split("\n")[:4]
    assert block == [
        f"supportline {importlib.metadata.version('supportline')}, environment test",
        "  public URL:                          https://line.example.org",
        "  every line's Voice URL (POST):       https://line.example.org/twilio/voice",
        "  every line's Messaging URL (POST):   https://line.example.org/twilio/sms",
    ]


def test_version_is_the_packages() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"supportline {importlib.metadata.version('supportline')}\n"


def test_outbox_json_has_every_column_and_no_address(own_database: Path) -> None:
    with get_sessionmaker().begin() as session:
        group = create_group(session, now=NOW)
        create_member(session, group, now=NOW, phone="+48601888001", email="ola@example.org")
    result = runner.invoke(app, ["outbox", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["total"] == len(listed["rows"]) >= 1
    pin = next(row for row in listed["rows"] if row["kind"] == "pin")
    assert set(pin) == {
        "id",
        "created_at",
        "kind",
        "via",
        "status",
        "group_id",
        "membership_id",
        "meeting_id",
        "attempts",
        "next_attempt_at",
        "last_error",
    }
    assert pin["via"] == "sms" and pin["status"] == "pending" and pin["group_id"] == group.id
    assert "48601888001" not in result.output and "ola@example.org" not in result.output
