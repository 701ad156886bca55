"""Settings a production server cannot work with are refused at the start, one line per problem
naming the setting, never repeating a value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from core.settings import settings_problems
from tests.fixtures.settings import BASE, IsolatedSettings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION: dict[str, Any] = {
    **BASE,
    "environment": "production",
    "database_url": "postgresql+psycopg://supportline@127.0.0.1:5432/supportline",
    "twilio_account_sid": "AC" + "1" * 32,
    "twilio_auth_token": "a-real-looking-token",
}


def problems(**changes: Any) -> list[str]:
    try:
        IsolatedSettings(**{**PRODUCTION, **changes})
    except ValidationError as exc:
        return settings_problems(exc)
    return []


def test_a_complete_production_configuration_passes() -> None:
    assert problems() == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000", "give the https address Twilio reaches"),
        ("line.example.org", "give the https address Twilio reaches"),
        ("http://line.example.org", "give the https address Twilio reaches"),
        ("https://127.0.0.1", "a loopback address"),
        ("https://localhost:8443", "a loopback address"),
    ],
)
def test_a_public_url_twilio_cannot_sign_is_refused(url: str, reason: str) -> None:
    (line,) = problems(public_base_url=url)
    assert line.startswith("SUPPORTLINE_PUBLIC_BASE_URL: " + reason)


def test_without_a_twilio_token_production_is_refused() -> None:
    (line,) = problems(twilio_auth_token="")
    assert line.startswith("SUPPORTLINE_TWILIO_ACCOUNT_SID, SUPPORTLINE_TWILIO_AUTH_TOKEN: ")


def test_every_problem_is_named_in_one_line_and_no_value_is_repeated() -> None:
    found = problems(secret_key="changeme", pii_keys="", database_url="", smtp_password="pw")
    assert [line.split(":")[0] for line in found] == [
        "SUPPORTLINE_SECRET_KEY",
        "SUPPORTLINE_PII_KEYS",
        "SUPPORTLINE_DATABASE_URL",
    ]
    (line,) = problems(smtp_port="not-a-port")
    assert line.startswith("SUPPORTLINE_SMTP_PORT: ") and "not-a-port" not in line


def test_the_command_prints_the_problems_without_a_traceback_or_a_secret() -> None:
    key = Fernet.generate_key().decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTLINE_")}
    env.update(
        SUPPORTLINE_ENVIRONMENT="production",
        SUPPORTLINE_SMTP_PASSWORD="smtp-password-in-full",
        SUPPORTLINE_PII_KEYS=key,
        SUPPORTLINE_SECRET_KEY="changeme",
    )
    done = subprocess.run(
        [sys.executable, "-m", "supportline.cli", "worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0] == "supportline: the settings cannot be used:"
    assert all(line.startswith("  SUPPORTLINE_") for line in lines[1:]), lines
    assert len(lines) == 5  # secret key, database, public URL, Twilio
    for secret in ("smtp-password-in-full", key, key[-22:], "changeme"):
        assert secret not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
