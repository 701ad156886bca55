"""Anonymity: after a member's whole lifecycle through the API, no contact data is stored or
logged in clear — not in the SQLite file (nor its write-ahead log), not in any log line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Role
from core.clock import get_now
from core.database import get_sessionmaker
from core.logs import JsonFormatter
from core.pii import PiiKeyError
from groups.models import Referral
from supportline.app import create_app
from tests.clock import Clock
from tests.factories import create_group
from tests.fixtures.settings import change_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
PEOPLE = [
    # alias, phone as typed, phone E.164, e-mail as typed
    ("Zbyszek Tajny", "+48 601 321 987", "+48601321987", "Zbyszek.Tajny@Example.org"),
    ("Miriam Sod", "+972 52 555 1234", "+972525551234", "miriam.sod@example.org"),
]
STAFF_EMAIL = "moderatorka.prywatna@example.org"
STAFF_PHONE = "+48 22 123 45 67"
NOTE = "lives at Zielona 5, flat 12"


def secrets_to_find() -> list[str]:
    values = [STAFF_EMAIL, STAFF_PHONE, STAFF_PHONE.replace(" ", ""), NOTE]
    for alias, typed, e164, email in PEOPLE:
        values += [alias, typed, e164, e164.lstrip("+"), email, email.lower()]
    return values


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def referral_json(group_id: int, person: tuple[str, str, str, str], **changes: str) -> Any:
    alias, typed, _e164, email = person
    return {
        "group_id": group_id,
        "alias": alias,
        "phone": typed,
        "email": email,
        "language": "pl",
        "consent": True,
        **changes,
    }


def run_lifecycle(client: TestClient) -> str:
    """Referral, approval, contact view, PIN reset, ejection, a flagged new referral."""
    admin = login(client, "admin")
    line = client.post(
        "/api/v1/lines", headers=admin, json={"number": "+12025550123", "language": "pl"}
    ).json()
    for username, role, extra in (
        ("moderator", "moderator", {"email": STAFF_EMAIL, "phone": STAFF_PHONE}),
        ("helper", "helper", {}),
    ):
        created = client.post(
            "/api/v1/staff",
            headers=admin,
            json={"username": username, "password": PASSWORD, "role": role, **extra},
        )
        assert created.status_code == 201, created.text
    group = client.post(
        "/api/v1/groups",
        headers=admin,
        json={
            "name": "Grupa Czwartkowa",
            "topic": "uzaleznienie od internetu",
            "language": "pl",
            "time_zone": "Europe/Warsaw",
            "slots": [{"weekday": "thu", "start": "20:00"}],
            "line_ids": [line["id"]],
        },
    ).json()
    moderator_id = client.get("/api/v1/staff", headers=admin).json()["items"][1]["id"]
    client.post(
        f"/api/v1/groups/{group['id']}/moderators", headers=admin, json={"staff_id": moderator_id}
    )
    helper, moderator = login(client, "helper"), login(client, "moderator")
    memberships = []
    for person in PEOPLE:
        referral = client.post(
            "/api/v1/referrals", headers=helper, json=referral_json(group["id"], person, note=NOTE)
        ).json()
        approval = client.post(f"/api/v1/referrals/{referral['id']}/approve", headers=moderator)
        assert approval.status_code == 200, approval.text
        memberships.append(approval.json()["credentials"]["membership_id"])
    first = f"/api/v1/memberships/{memberships[0]}"
    contact = client.get(first + "/contact", headers=moderator).json()
    assert contact["phone"] == PEOPLE[0][2]  # the search below looks for the right strings
    assert client.post(first + "/reset-pin", headers=moderator).status_code == 200
    assert client.post(first + "/eject", headers=moderator).status_code == 200
    flagged = client.post(
        "/api/v1/referrals", headers=helper, json=referral_json(group["id"], PEOPLE[0])
    ).json()
    assert flagged["flag_previously_ejected"] is None  # for the group's moderators only
    flagged = client.get(f"/api/v1/referrals/{flagged['id']}", headers=moderator).json()
    assert flagged["flag_previously_ejected"] is True
    bad_email = PEOPLE[1][3].replace("@", "@@")
    refused = client.post(
        "/api/v1/referrals",
        headers=helper,
        json=referral_json(group["id"], PEOPLE[1], email=bad_email),
    )
    assert refused.status_code == 422
    audit = client.get("/api/v1/audit", headers=admin).text
    for value in secrets_to_find():
        assert value not in audit
    return str(group["name"])


def test_no_contact_data_in_the_database_file_or_the_logs(
    own_database: Path,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    with get_sessionmaker().begin() as session:
        auth_service.create_staff(session, username="admin", password=PASSWORD, role=Role.admin)
    app = create_app()
    app.dependency_overrides[get_now] = clock.now
    with TestClient(app, base_url="https://line.example.org") as client:
        group_name = run_lifecycle(client)

    stored = b"".join(
        path.read_bytes() for path in own_database.parent.glob(own_database.name + "*")
    )
    assert group_name.encode() in stored  # we are reading the file the data went to
    out, err = capfd.readouterr()
    formatter = JsonFormatter()
    logs = "\n".join(
        [caplog.text, out, err, *(formatter.format(record) for record in caplog.records)]
    )
    for value in secrets_to_find():
        assert value.encode() not in stored, f"{value!r} stored in clear"
        assert value.encode("utf-16-le") not in stored, f"{value!r} stored in clear (UTF-16)"
        assert value not in logs, f"{value!r} in the logs"


def test_a_failed_write_names_no_parameter_in_its_error(db: Session, clock: Clock) -> None:
    # Any write can fail (a bad value, a constraint, the database going away); SQLAlchemy's error
    # text lists the statement's parameters as given - before encryption - unless told not to.
    alias, _typed, e164, email = PEOPLE[0]
    referral = Referral(
        group_id=create_group(db, now=clock.now()).id,
        alias=alias,
        phone=e164,
        email=email,
        language="pl",
        consent_at=clock.now().replace(tzinfo=None),  # naive: refused while binding
    )
    db.add(referral)
    with pytest.raises(StatementError) as failed:
        db.flush()
    assert "naive datetime" in str(failed.value)
    for value in (alias, e164, email):
        assert value not in str(failed.value)


def test_malformed_pii_keys_stop_the_start_with_a_clear_message(
    own_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change_settings(pii_keys="not-a-fernet-key")
    with pytest.raises(PiiKeyError, match="SUPPORTLINE_PII_KEYS holds a value that is not"):
        create_app()


@pytest.mark.integration
def test_an_exception_logged_by_uvicorn_shows_its_type_and_place_never_its_text() -> None:
    # What serve's processes do with a request's unhandled exception (core.logs.log_config).
    program = """
import logging, logging.config
from core.logs import log_config
logging.config.dictConfig(log_config())
try:
    raise ValueError("no row for zbyszek.tajny@example.org, +48601321987")
except ValueError:
    logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=ROOT
    )
    (line,) = done.stderr.splitlines()
    logged = json.loads(line)
    assert (logged["event"], logged["exception"]) == ("Exception in ASGI application", "ValueError")
    assert logged["where"] == ["<string>:6 <module>"]
    assert "zbyszek" not in line and "48601321987" not in line


@pytest.mark.integration
def test_a_failing_scheduled_job_logs_its_name_and_error_type_never_its_text() -> None:
    # What serve's and worker's schedulers do with a job that raises (APScheduler's own logger).
    program = """
import logging.config, time
from apscheduler.schedulers.background import BackgroundScheduler
from core.logs import log_config
logging.config.dictConfig(log_config())

def dispatch_outbox():
    raise RuntimeError("UPDATE outbox SET to_number='+48601321987' WHERE email='z@example.org'")

scheduler = BackgroundScheduler()
scheduler.add_job(dispatch_outbox, id="dispatch_outbox")
scheduler.start()
time.sleep(1)
scheduler.shutdown()
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=ROOT
    )
    failures = [json.loads(line) for line in done.stderr.splitlines() if "exception" in line]
    (logged,) = failures
    assert logged["exception"] == "RuntimeError" and "dispatch_outbox" in logged["event"]
    assert "48601321987" not in done.stderr and "example.org" not in done.stderr
