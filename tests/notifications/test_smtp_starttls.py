"""SMTP_STARTTLS (on by default) against a real server: aiosmtpd on loopback with a certificate of
the test's own authority. The password and the invitation travel only inside TLS; a server that
cannot be trusted or offers no TLS gets nothing, and the message waits to be retried."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from notifications.delivery import Providers
from notifications.models import Kind, OutboxMessage, Status
from notifications.providers import SmtpMailer
from tests.clock import Clock
from tests.factories import create_group, create_member
from tests.notifications.conftest import dispatcher
from tests.notifications.fakes import FakeSms
from tests.notifications.smtp_server import certificates, password_checker, smtp_server

pytestmark = pytest.mark.integration


def send_invitation(
    db: Session, sessions: sessionmaker[Session], clock: Clock, port: int
) -> OutboxMessage:
    """One member approved, the dispatcher run once against the server on ``port``."""
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_username="mailer",
        smtp_password=SecretStr("right"),
    )
    assert settings.smtp_starttls  # the default
    dispatcher(db, sessions, Providers(FakeSms(), SmtpMailer(settings)), clock)()
    db.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == Kind.invitation)
    return db.scalars(query).one()


def test_the_invitation_and_the_login_travel_inside_tls(
    db: Session,
    clock: Clock,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls = certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.authority))  # the mailer trusts our authority
    login = password_checker("mailer", "right")
    with smtp_server(authenticator=login, tls=tls.server) as (inbox, port):
        row = send_invitation(db, sessions, clock, port)
    assert row.status is Status.sent
    assert (inbox.encrypted, inbox.authenticated) == ([True], [True])
    assert str(inbox.messages[0]["Subject"]) == "Your invitation to the group calls"


def test_a_server_whose_certificate_is_not_trusted_gets_nothing(
    db: Session, clock: Clock, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    tls = certificates(tmp_path)  # signed by an authority the mailer does not know
    login = password_checker("mailer", "right")
    with smtp_server(authenticator=login, tls=tls.server) as (inbox, port):
        row = send_invitation(db, sessions, clock, port)
    assert (row.status, row.last_error) == (Status.pending, "smtp: SSLCertVerificationError")
    assert inbox.messages == []


def test_a_server_offering_no_tls_gets_nothing(
    db: Session, clock: Clock, sessions: sessionmaker[Session]
) -> None:
    # A plain server, or a STARTTLS offer stripped on the way: no falling back to clear text.
    with smtp_server(authenticator=password_checker("mailer", "right")) as (inbox, port):
        row = send_invitation(db, sessions, clock, port)
    assert (row.status, row.last_error) == (Status.pending, "smtp: SMTPNotSupportedError")
    assert inbox.messages == []
