"""``supportline doctor``: passes on a sound installation, names each broken setting in one line,
and never shows a secret."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from pydantic import ValidationError
from typer.testing import CliRunner

from core import migrate
from core.database import get_sessionmaker
from core.settings import get_settings, use_settings
from supportline.cli import app
from supportline.emulator.hooks import ACCOUNT_SID
from tests.emulators.fixtures import TEST_ACCOUNT_SID
from tests.factories import create_group, create_member
from tests.fixtures.phones import running_emulator
from tests.fixtures.settings import change_settings, forget_settings
from tests.notifications.smtp_server import free_port, password_checker, smtp_server

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
runner = CliRunner()

SECRETS = {
    "secret_key": "doctor-secret-key-0123456789abcdef",
    "twilio_auth_token": "doctor-twilio-token-fedcba9876543210",
    "smtp_password": "doctor-smtp-password-42",
}

# The newest migration: what a database must be at.
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


@pytest.fixture
def installation(own_database: Path) -> Iterator[Path]:
    """A migrated database with one member, stored under known secrets."""
    change_settings(**SECRETS)
    with get_sessionmaker().begin() as session:
        create_member(session, create_group(session, now=NOW), now=NOW)
    yield own_database


def doctor() -> tuple[int, str, list[str]]:
    result = runner.invoke(app, ["doctor"])
    problems = [line for line in result.output.splitlines() if line.startswith("problem")]
    for secret in [*SECRETS.values(), *_pii_keys()]:
        assert secret not in result.output
    return result.exit_code, result.output, problems


def _pii_keys() -> list[str]:
    try:
        return [key.decode() for key in get_settings().effective_pii_keys]
    except ValidationError:  # settings the test made invalid: doctor said so
        return []


def test_doctor_passes_on_the_demo_database(own_database: Path) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    code, output, problems = doctor()
    assert code == 0, output
    assert problems == []
    assert "ok       keys: decrypt a stored record and find it by its blind index" in output
    assert f"schema at {HEAD}" in output
    # What to set in Twilio's Console, for each of the demo's lines: two groups' lines, three
    # contact points' and the national helpline's.
    assert output.count('Voice, "A call comes in": Webhook, HTTP POST, ') == 6
    assert "(the helpline: Warszawa)" in output and "(the national helpline)" in output
    assert "https://line.example.org/twilio/voice" in output
    assert "https://line.example.org/twilio/sms (sends the SMS of 2 groups)" in output
    assert output.rstrip().endswith("doctor: no problems")


def sqlite_missing(tmp: Path) -> dict[str, Any]:
    return {"database_url": f"sqlite:///{tmp / 'nowhere.db'}"}


BROKEN: list[tuple[str, Any, str]] = [
    (
        "http public URL",
        {"public_base_url": "http://line.example.org"},
        "SUPPORTLINE_PUBLIC_BASE_URL: give the https address Twilio reaches",
    ),
    (
        "public URL with a query",
        {"public_base_url": "https://line.example.org/?line=1"},
        "SUPPORTLINE_PUBLIC_BASE_URL: no query or fragment",
    ),
    (
        "another PII key",
        {"pii_keys": Fernet.generate_key().decode()},
        "SUPPORTLINE_PII_KEYS does not decrypt the stored data",
    ),
    (
        "another secret key",
        {"secret_key": "another-secret-key-0123456789abcdef"},
        "SUPPORTLINE_SECRET_KEY is not the key the stored data was indexed with",
    ),
    ("no database file", sqlite_missing, "SUPPORTLINE_DATABASE_URL: no database file there yet"),
    (
        "PostgreSQL not listening",
        lambda _: {"database_url": f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/x"},
        "SUPPORTLINE_DATABASE_URL: cannot connect to 127.0.0.1:",
    ),
    (
        "malformed account SID",
        {"twilio_account_sid": "AC123"},
        "SUPPORTLINE_TWILIO_ACCOUNT_SID: not an account SID",
    ),
    (
        "Twilio unreachable",
        lambda _: {
            "twilio_account_sid": TEST_ACCOUNT_SID,
            "twilio_api_url": f"http://127.0.0.1:{free_port()}",
        },
        "SUPPORTLINE_TWILIO_ACCOUNT_SID, SUPPORTLINE_TWILIO_AUTH_TOKEN: cannot reach http://",
    ),
    (
        "mail server down",
        lambda _: {"smtp_host": "127.0.0.1", "smtp_port": free_port()},
        "SUPPORTLINE_SMTP_HOST, SUPPORTLINE_SMTP_PORT: cannot connect (ConnectionRefusedError)",
    ),
]


@pytest.mark.parametrize(
    ("change", "said"), [(c, s) for _, c, s in BROKEN], ids=[name for name, _, _ in BROKEN]
)
def test_doctor_names_each_broken_setting_in_one_line(
    installation: Path, tmp_path: Path, change: Any, said: str
) -> None:
    change_settings(**(change(tmp_path) if callable(change) else change))
    code, output, problems = doctor()
    assert code == 1
    assert len(problems) == 1, output
    assert said in problems[0]
    assert output.rstrip().endswith("doctor: 1 problem")


def test_doctor_says_the_schema_is_behind(installation: Path) -> None:
    command.downgrade(migrate.alembic_config(), "0008_room_conference_fired_at")
    code, _output, problems = doctor()
    assert code == 1
    assert problems == [
        "problem  SUPPORTLINE_DATABASE_URL: the database is at 0008_room_conference_fired_at, "
        f"this version needs {HEAD}; run `supportline db upgrade`"
    ]


def test_doctor_lists_every_bad_production_setting_without_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file
    for name, value in {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "change-me",
        "PII_KEYS": "",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "TWILIO_AUTH_TOKEN": SECRETS["twilio_auth_token"],
    }.items():
        monkeypatch.setenv(f"SUPPORTLINE_{name}", value)
    use_settings(None)
    try:
        code, output, problems = doctor()
    finally:
        monkeypatch.undo()
        from tests.fixtures.settings import BASE, IsolatedSettings

        use_settings(IsolatedSettings(**BASE))
        forget_settings()
    assert code == 1
    assert [line.split(":")[0] for line in problems] == [
        "problem  SUPPORTLINE_SECRET_KEY",
        "problem  SUPPORTLINE_PII_KEYS",
        "problem  SUPPORTLINE_DATABASE_URL",
        "problem  SUPPORTLINE_PUBLIC_BASE_URL",
        "problem  SUPPORTLINE_TWILIO_ACCOUNT_SID, SUPPORTLINE_TWILIO_AUTH_TOKEN",
    ]
    assert "change-me" not in output


def test_doctor_logs_in_to_the_mail_server_and_reports_a_refused_password(
    installation: Path,
) -> None:
    with smtp_server(authenticator=password_checker("mailer", SECRETS["smtp_password"])) as (
        _inbox,
        port,
    ):
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
        change_settings(**smtp, smtp_username="mailer")
        code, output, _ = doctor()
        assert code == 0, output
        assert "ok       e-mail: connected to the SMTP server and logged in" in output

        change_settings(smtp_password="not the password")
        code, _output, problems = doctor()
    assert code == 1
    assert problems == [
        "problem  SUPPORTLINE_SMTP_USERNAME, SUPPORTLINE_SMTP_PASSWORD: the mail server refused "
        "them"
    ]


def test_doctor_tries_the_twilio_credentials(installation: Path) -> None:
    with (
        httpx.Client() as http,
        running_emulator(
            http,
            server="https://line.example.org",
            public_url="https://line.example.org",
            auth_token=SECRETS["twilio_auth_token"],
        ) as emulator,
    ):
        change_settings(twilio_account_sid=ACCOUNT_SID, twilio_api_url=emulator.url)
        code, output, _ = doctor()
        assert code == 0, output
        assert f"ok       Twilio: the account answers at {emulator.url}" in output

        change_settings(twilio_auth_token="an old token, since rotated")
        code, output, problems = doctor()
    assert code == 1
    assert problems == [
        "problem  SUPPORTLINE_TWILIO_ACCOUNT_SID, SUPPORTLINE_TWILIO_AUTH_TOKEN: "
        f"{emulator.url} refused them (error 20003)"
    ]
    assert "an old token" not in output


def test_doctor_passes_against_twilios_api_description(installation: Path, prism_url: str) -> None:
    change_settings(twilio_account_sid=TEST_ACCOUNT_SID, twilio_api_url=prism_url)
    code, output, problems = doctor()
    assert code == 0, output
    assert problems == []
    assert f"ok       Twilio: the account answers at {prism_url}" in output
