"""The ``supportline`` command line: database, staff, server and demo."""

from __future__ import annotations

import json
import logging.config
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from pydantic import ValidationError

from auth import service as auth_service
from auth.models import Role
from core import migrate, pii
from core.database import get_sessionmaker, utcnow
from core.errors import AppError, describe_validation_errors
from core.logs import log_config
from core.settings import Environment, get_settings, settings_problems
from supportline import cli_phones, cli_records, version
from supportline.terminal import announce_providers, console, fail, port_taken

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="supportline: anonymous telephone support groups.",
    no_args_is_help=True,
    # Tracebacks with local variables could print personal data.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)


def show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"supportline {version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """supportline: anonymous telephone support groups."""


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the configured database."""
    migrate.upgrade()
    console.print("database is up to date")


def read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@staff_app.command("create")
def staff_create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="admin, moderator or helper")] = Role.moderator,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create a staff account; the password is read from a prompt or stdin, never from arguments."""
    from auth.schemas import StaffCreate  # noqa: PLC0415 - keeps `--help` fast

    password = read_password(password_stdin)
    try:
        data = StaffCreate(username=username, password=password, role=role)
    except ValidationError as exc:
        raise fail(describe_validation_errors(exc.errors())) from None
    with get_sessionmaker().begin() as session:
        try:
            staff = auth_service.create_staff(
                session, username=data.username, password=data.password, role=data.role
            )
        except AppError as exc:
            raise fail(exc.detail) from None
        console.print(f"created {staff.role.value} {staff.username!r} (id {staff.id})")


def check_keys() -> None:
    """Stop here, with the reason, when SUPPORTLINE_PII_KEYS is malformed: a server or worker
    started with it would fail every read and write of personal data (and uvicorn would restart
    its dying web processes forever). In development this also creates the key file once."""
    try:
        pii.get_cipher()
    except pii.PiiKeyError as exc:
        raise fail(str(exc)) from None


def startup_block() -> str:
    """What a server says first: which version runs where, and the URLs Twilio must call."""
    settings = get_settings()
    base = settings.public_base_url
    return "\n".join(
        [
            f"supportline {version()}, environment {settings.environment.value}",
            f"  public URL:                          {base}",
            f"  every line's Voice URL (POST):       {base}/twilio/voice",
            f"  every line's Messaging URL (POST):   {base}/twilio/sms",
        ]
    )


def program_name() -> str:
    """How this command was run (``.venv/bin/supportline``), for commands printed to copy."""
    return sys.argv[0] if Path(sys.argv[0]).name == "supportline" else "supportline"


@app.command()
def demo(
    json_output: Annotated[
        bool, typer.Option("--json", help="print one JSON object with the demo credentials")
    ] = False,
    meeting_now: Annotated[
        bool,
        typer.Option(
            "--meeting-now",
            help="put the first group's meeting in progress now, another one later today",
        ),
    ] = False,
) -> None:
    """Seed a demo organisation (idempotent) and print its credentials. Demo data only."""
    from supportline import demo as demo_service  # noqa: PLC0415 - keeps `--help` fast
    from supportline import demo_output  # noqa: PLC0415

    if get_settings().environment is Environment.production:
        raise fail("the demo writes made-up people and known passwords; not in production")
    migrate.upgrade()
    with get_sessionmaker().begin() as session:
        seeded = demo_service.seed(session, now=utcnow(), meeting_now=meeting_now)
        payload = demo_output.as_json(seeded)
        notes = demo_output.meeting_notes(seeded)
        phone_notes = demo_output.dial_in_notes(seeded, program_name())
        phone_notes += demo_output.helpline_notes(seeded, program_name())
        phone_notes += demo_output.voicemail_notes(seeded, program_name())
    if json_output:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(demo_output.as_text(payload))
    for note in [*notes, *phone_notes]:
        typer.echo(note)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="web processes")] = 1,
    no_scheduler: Annotated[
        bool,
        typer.Option("--no-scheduler", help="web only; run `supportline worker` for the jobs"),
    ] = False,
) -> None:
    """Run the web server (Twilio webhooks, JSON API, console) and, by default, the scheduler."""
    from core.scheduler import SchedulerRunner  # noqa: PLC0415 - keeps `--help` fast
    from supportline.jobs import JOBS  # noqa: PLC0415

    taken = port_taken(host, port)
    if taken is not None:
        raise fail(taken)
    logging.config.dictConfig(log_config())  # the scheduler starts before uvicorn configures it
    check_keys()
    migrate.upgrade()
    typer.echo(startup_block())
    announce_providers()
    runner = None if no_scheduler else SchedulerRunner(JOBS)
    if runner is not None:
        runner.start()
        console.print("scheduler: runs in this process (when no other scheduler holds the lock)")
    try:
        uvicorn.run(
            "supportline.app:create_served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=log_config(),
        )
    finally:
        if runner is not None:
            runner.stop()


@app.command()
def worker() -> None:
    """Run the scheduler alone (plan meetings, reminders, outbox) until stopped."""
    import signal  # noqa: PLC0415

    from core.scheduler import SchedulerRunner  # noqa: PLC0415
    from supportline.jobs import JOBS  # noqa: PLC0415

    logging.config.dictConfig(log_config())
    check_keys()
    migrate.upgrade()
    announce_providers()
    runner = SchedulerRunner(JOBS)

    def stop(_signum: int, _frame: object) -> None:
        runner.request_stop()  # the shutdown itself runs below, outside the signal handler

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    console.print("worker: scheduler started (standing by if another one holds the lock)")
    runner.wait()
    runner.stop()
    if runner.failed:  # a supervisor restarts it; a process whose scheduler died would idle
        raise fail("worker: the scheduler stopped on an error it could not handle")
    console.print("worker: stopped")


# The commands of the other modules, after the server's own in `--help`.
app.command("retention")(cli_records.retention_command)
app.command()(cli_records.outbox)
app.command()(cli_records.doctor)
app.command("twilio-emulator")(cli_phones.twilio_emulator)
app.command()(cli_phones.call)
app.command()(cli_phones.receive)
app.add_typer(cli_records.pii_app, name="pii")
app.add_typer(cli_records.audit_app, name="audit")


def main() -> None:
    try:
        app()
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        typer.echo("supportline: the settings cannot be used:", err=True)
        for line in settings_problems(exc):
            typer.echo(f"  {line}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
