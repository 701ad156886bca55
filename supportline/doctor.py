"""``supportline doctor``: everything a server needs from outside itself, checked before it serves.

Each check answers with what it found ("ok" lines) and its problems, one line each, naming the
setting to change and never its value: the output is pasted into tickets and chats. The checks
that need the network (Twilio's API, the mail server) run only for what is configured.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, make_url, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException

from core import migrate, pii
from core.database import make_engine
from core.outage import NotReady
from core.settings import Environment, Settings, public_url_problems
from core.twilio_http import is_loopback_host, make_twilio_client
from groups.models import Line, group_lines
from helpline.models import ContactPoint, HelplineLine
from supportline.readiness import check_stored_keys

ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
TIMEOUT = 10.0


@dataclass
class Report:
    """What the checks found: ``ok`` lines to reassure, ``problems`` to fix, ``console`` lines
    to copy into Twilio's Console."""

    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def run_checks(settings: Settings) -> Report:
    report = Report(ok=[f"settings: valid for {settings.environment.value}"])
    checks: list[Callable[[Settings, Report], None]] = [
        check_public_url,
        check_database,
        check_twilio,
        check_smtp,
    ]
    for check in checks:
        check(settings, report)
    return report


def check_public_url(settings: Settings, report: Report) -> None:
    """Twilio signs each webhook over the URL it was given; the server rebuilds that URL from
    ``PUBLIC_BASE_URL`` plus the path, so it must be an absolute URL without query or fragment,
    https except for a development server on loopback."""
    name = "SUPPORTLINE_PUBLIC_BASE_URL"
    url = settings.public_base_url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        report.problems.append(f"{name}: not a well formed URL")
        return
    if parts.query or parts.fragment:
        report.problems.append(f"{name}: no query or fragment; the paths are appended to it")
        return
    local = settings.environment is not Environment.production and is_loopback_host(parts.hostname)
    if parts.scheme == "http" and local:
        report.ok.append(f"public URL: {url} (http on loopback: development only)")
        return
    problems = public_url_problems(url)
    if settings.environment is Environment.production or not local:
        report.problems += problems
    if not problems:
        report.ok.append(f"public URL: {url}")


def check_database(settings: Settings, report: Report) -> None:
    """Reachable, at the newest migration, and the keys read and find what is stored."""
    name = "SUPPORTLINE_DATABASE_URL"
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        report.problems.append(f"{name}: no database file there yet; run `supportline db upgrade`")
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if _schema_current(connection, report):
                _check_keys(connection, report)
                _twilio_console(connection, settings, report)
    except SQLAlchemyError as exc:
        where = f" to {url.host}:{url.port or 5432}" if url.host else ""
        reason = type(getattr(exc, "orig", None) or exc).__name__
        report.problems.append(f"{name}: cannot connect{where} ({reason})")
    finally:
        engine.dispose()


def _schema_current(connection: Connection, report: Report) -> bool:
    heads = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        report.ok.append(f"database: reachable, schema at {', '.join(sorted(heads))}")
        return True
    at = ", ".join(sorted(current)) or "no schema"
    report.problems.append(
        f"SUPPORTLINE_DATABASE_URL: the database is at {at}, this version needs "
        f"{', '.join(sorted(heads))}; run `supportline db upgrade`"
    )
    return False


def _check_keys(connection: Connection, report: Report) -> None:
    try:
        pii.get_cipher()
        with Session(bind=connection) as session:
            check_stored_keys(session)
    except pii.PiiKeyError as exc:
        report.problems.append(str(exc))
    except NotReady as exc:
        report.problems.append(exc.detail)
    else:
        report.ok.append("keys: decrypt a stored record and find it by its blind index")


def _twilio_console(connection: Connection, settings: Settings, report: Report) -> None:
    """What to set in Twilio's Console for each line (Phone Numbers → Manage → Active numbers).

    A group's SMS come from its first line, so that line's Messaging URL gets the replies (STOP);
    every other URL the server gives Twilio itself, with each call and message."""
    first_lines = (
        select(func.min(group_lines.c.line_id).label("first"))
        .group_by(group_lines.c.group_id)
        .subquery()
    )
    senders: dict[int, int] = dict(
        connection.execute(
            select(first_lines.c.first, func.count()).group_by(first_lines.c.first)
        ).all()
    )
    helpline = dict(
        connection.execute(
            select(HelplineLine.line_id, ContactPoint.name).outerjoin(
                ContactPoint, ContactPoint.id == HelplineLine.contact_point_id
            )
        ).all()
    )
    base = settings.public_base_url
    for line_id, number in connection.execute(select(Line.id, Line.number).order_by(Line.id)):
        sends = senders.get(line_id, 0)
        if line_id in helpline:  # a contact point's line sends its duty notices
            point = helpline[line_id]
            purpose = f" (the helpline: {point})" if point else " (the national helpline)"
        else:
            purpose = ""
        report.console += [
            f"{number}{purpose}",
            f'  Voice, "A call comes in": Webhook, HTTP POST, {base}/twilio/voice',
            f'  Messaging, "A message comes in": Webhook, HTTP POST, {base}/twilio/sms'
            + (f" (sends the SMS of {sends} group{'s' if sends != 1 else ''})" if sends else ""),
        ]


def check_twilio(settings: Settings, report: Report) -> None:
    """The account SID and auth token, tried against Twilio's API (fetch the account)."""
    if not settings.twilio_configured:
        report.ok.append("Twilio: no account set; SMS wait in the outbox")
        return
    names = "SUPPORTLINE_TWILIO_ACCOUNT_SID, SUPPORTLINE_TWILIO_AUTH_TOKEN"
    sid = settings.twilio_account_sid
    if not ACCOUNT_SID.fullmatch(sid):
        report.problems.append(
            "SUPPORTLINE_TWILIO_ACCOUNT_SID: not an account SID (AC and 32 hexadecimal digits)"
        )
        return
    where = settings.twilio_api_url or "Twilio's API"
    client = make_twilio_client(
        account_sid=sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        api_url=settings.twilio_api_url,
        timeout=TIMEOUT,
    )
    try:
        account = client.api.v2010.accounts(sid).fetch()
    except TwilioRestException as exc:
        if exc.status == 401:
            report.problems.append(f"{names}: {where} refused them (error 20003)")
        else:
            report.problems.append(f"{names}: {where} answered HTTP {exc.status}, error {exc.code}")
        return
    except (TwilioException, requests.RequestException, ValueError) as exc:
        report.problems.append(f"{names}: cannot reach {where} ({type(exc).__name__})")
        return
    if account.status != "active":
        report.problems.append(f"{names}: the Twilio account is {account.status}, not active")
        return
    report.ok.append(f"Twilio: the account answers at {where}")
    if settings.twilio_previous_auth_token.get_secret_value():
        report.ok.append(
            "Twilio: webhooks signed with SUPPORTLINE_TWILIO_PREVIOUS_AUTH_TOKEN are accepted "
            "too; unset it once the rotation is done (docs/twilio.md)"
        )


def check_smtp(settings: Settings, report: Report) -> None:
    """Connect, STARTTLS when set, log in when a user name is set: what sending will do."""
    if not settings.smtp_configured:
        report.ok.append("e-mail: no SMTP server set; e-mail waits in the outbox")
        return
    stage = "SUPPORTLINE_SMTP_HOST, SUPPORTLINE_SMTP_PORT: cannot connect"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
            if settings.smtp_starttls:
                stage = "SUPPORTLINE_SMTP_STARTTLS: STARTTLS failed"
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                stage = "SUPPORTLINE_SMTP_USERNAME, SUPPORTLINE_SMTP_PASSWORD: the login failed"
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except smtplib.SMTPAuthenticationError:
        report.problems.append(
            "SUPPORTLINE_SMTP_USERNAME, SUPPORTLINE_SMTP_PASSWORD: the mail server refused them"
        )
        return
    except (smtplib.SMTPException, OSError) as exc:
        report.problems.append(f"{stage} ({type(exc).__name__})")
        return
    login = " and logged in" if settings.smtp_username else ""
    report.ok.append(f"e-mail: connected to the SMTP server{login}")
