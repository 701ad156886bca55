"""The ``supportline`` command line: database, staff, server and demo."""

from __future__ import annotations

import json
import logging.config
import socket
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from auth import service as auth_service
from auth.models import Role
from core import migrate, pii
from core.database import Base, get_sessionmaker, utcnow
from core.errors import AppError, describe_validation_errors
from core.logs import log_config
from core.settings import Environment, get_settings, settings_problems
from notifications.models import OutboxMessage
from supportline import version
from supportline.emulator import EMULATOR_URL
from supportline.emulator.delivery import Mode
from supportline.emulator.hooks import ACCOUNT_SID

if TYPE_CHECKING:
    from supportline.phone import TerminalPhone

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
pii_app = typer.Typer(help="Encryption of personal data.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(pii_app, name="pii")
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)


def port_taken(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (another program holds it), or None."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return (
                f"port {port} on {host} is already in use (another supportline, or another "
                "program): stop it, or choose another port with --port"
            )
    return None


def fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


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


@pii_app.command("rotate")
def pii_rotate() -> None:
    """Re-encrypt all personal data with the first key of SUPPORTLINE_PII_KEYS."""
    import supportline.models  # noqa: F401, PLC0415 - every encrypted column must be known

    pii.reset_caches()
    with get_sessionmaker().begin() as session:
        count = pii.rotate_all(session, Base)
    console.print(f"re-encrypted {count} records with the newest key")


@pii_app.command("reindex")
def pii_reindex(
    without_previous_key: Annotated[
        bool,
        typer.Option(
            "--without-previous-key",
            help="the previous key is lost: rebuild every index from the decrypted data and "
            "carry STOPs over through the numbers still stored; say what is left behind",
        ),
    ] = False,
) -> None:
    """After SUPPORTLINE_SECRET_KEY changed: recompute the blind indexes with the new key.

    Without it no participant number is found and STOP replies no longer match. The previous
    key comes from SUPPORTLINE_PREVIOUS_SECRET_KEY or is asked for; when it is lost,
    --without-previous-key rebuilds all it can without it.
    """
    from supportline.reindex import WrongPreviousKey, reindex  # noqa: PLC0415 - every model

    previous = None if without_previous_key else read_previous_secret_key()
    pii.reset_caches()
    try:
        with get_sessionmaker().begin() as session:
            done = reindex(session, previous_secret_key=previous)
    except WrongPreviousKey as exc:
        raise fail(str(exc)) from None
    if previous is not None:
        console.print(
            f"recomputed the indexes of {done.records} records; {done.opt_outs} SMS opt-outs "
            f"carried over; {done.left} of numbers no longer stored left as they were"
        )
        return
    console.print(
        f"recomputed the indexes of {done.records} records without the previous key; "
        f"{done.opt_outs} SMS opt-outs carried over through the numbers still stored"
    )
    console.print(
        f"not carried over: {done.left} SMS opt-outs of numbers no longer stored or of staff "
        "phones (they get SMS again until they reply STOP again); the counts of failed logins "
        "and failed PINs start afresh"
    )


def read_previous_secret_key() -> bytes:
    given = get_settings().previous_secret_key.get_secret_value() or typer.prompt(
        "The previous SUPPORTLINE_SECRET_KEY", hide_input=True
    )  # never an argument: it would stay in the shell's history
    previous = given.strip().encode()
    if not previous:
        raise fail("the previous secret key is empty")
    return previous


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit log's hash chain; name the first entry changed, removed or inserted."""
    from core import audit_chain  # noqa: PLC0415 - keeps `--help` fast

    with get_sessionmaker().begin() as session:
        report = audit_chain.verify(session)
    if not report.verifies:
        raise fail(report.describe())
    console.print(report.describe())


@app.command("retention")
def retention_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only count what would be destroyed, per rule")
    ] = False,
) -> None:
    """Destroy personal data kept longer than its retention period (the daily job, now)."""
    from supportline import retention  # noqa: PLC0415 - keeps `--help` fast

    now, sessions = utcnow(), get_sessionmaker()
    counts = retention.preview(sessions, now) if dry_run else retention.run(sessions, now)
    for name, count in counts.items():
        typer.echo(f"{count:>8}  {name}")
    total = sum(counts.values())
    if dry_run:
        typer.echo(f"{total} records would be cleared or removed; nothing was changed (--dry-run)")
    else:
        typer.echo(f"{total} records cleared or removed")


def check_keys() -> None:
    """Stop here, with the reason, when SUPPORTLINE_PII_KEYS is malformed: a server or worker
    started with it would fail every read and write of personal data (and uvicorn would restart
    its dying web processes forever). In development this also creates the key file once."""
    try:
        pii.get_cipher()
    except pii.PiiKeyError as exc:
        raise fail(str(exc)) from None


def announce_providers() -> None:
    """Say at start where outgoing messages go; without a provider they wait in the outbox."""
    settings = get_settings()
    if not settings.twilio_configured:
        console.print(
            "no provider configured for SMS (Twilio): SMS stay in the outbox marked "
            "'no_provider' (see `supportline outbox`); the moderators' controls (mute, kick, "
            "end) and the meetings' announcements and end reach no call"
        )
    elif settings.twilio_api_url:
        console.print(
            f"Twilio: the emulator at {settings.twilio_api_url} (SUPPORTLINE_TWILIO_API_URL) "
            "gets the SMS and the conference controls, not Twilio"
        )
    if not settings.smtp_configured:
        console.print(
            "no provider configured for e-mail (SMTP): e-mail stays in the outbox marked "
            "'no_provider' (see `supportline outbox`)"
        )


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


@app.command()
def outbox(
    status: Annotated[
        str | None, typer.Option(help="only this status, e.g. failed or no_provider")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="rows to show")] = 50,
    json_output: Annotated[
        bool, typer.Option("--json", help="one JSON object: total and every row, all columns")
    ] = False,
) -> None:
    """List outgoing messages: kind, status, attempts, errors; never addresses or texts."""
    from rich.table import Table  # noqa: PLC0415

    from notifications import service as notifications_service  # noqa: PLC0415
    from notifications.models import Status  # noqa: PLC0415

    try:
        wanted = Status(status) if status else None
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise fail(f"unknown status {status!r}; one of: {choices}") from None
    if not json_output:  # standard output stays one JSON document
        announce_providers()
    with get_sessionmaker().begin() as session:
        rows, total = notifications_service.list_deliveries(
            session, group_id=None, status=wanted, limit=limit
        )
        if json_output:
            typer.echo(json.dumps({"total": total, "rows": [outbox_row(row) for row in rows]}))
            return
        table = Table(title=f"outbox: {len(rows)} of {total}")
        for column in (
            "id",
            "created (UTC)",
            "kind",
            "via",
            "status",
            "group",
            "member",
            "meeting",
            "tries",
            "next try (UTC)",
            "last error",
        ):
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row.id),
                f"{row.created_at:%Y-%m-%d %H:%M}",
                row.kind.value,
                row.channel.value,
                row.status.value,
                str(row.group_id or ""),
                str(row.membership_id or ""),
                str(row.meeting_id or ""),
                str(row.attempts),
                f"{row.next_attempt_at:%Y-%m-%d %H:%M}",
                row.last_error or "",
            )
    Console().print(table)


@app.command()
def doctor() -> None:
    """Check before serving: settings, database and schema, keys, public URL, Twilio, SMTP.

    Prints what to set in Twilio's Console for each line, and one line per problem (naming the
    setting, never its value); exits 1 when there is any.
    """
    from supportline import doctor as checks  # noqa: PLC0415 - keeps `--help` fast

    try:
        settings = get_settings()
    except ValidationError as exc:
        for line in settings_problems(exc):
            typer.echo(f"problem  {line}")
        raise typer.Exit(code=1) from None
    report = checks.run_checks(settings)
    for line in report.ok:
        typer.echo(f"ok       {line}")
    for line in report.problems:
        typer.echo(f"problem  {line}")
    if report.console:
        typer.echo("\nTwilio Console, Phone Numbers > Manage > Active numbers, each line:")
        for line in report.console:
            typer.echo(f"  {line}")
        typer.echo(
            "  Every other URL (keypad steps, the waiting room, conference status and "
            "announcements, SMS status) the server gives Twilio itself with each call and "
            'message: leave "Call status changes" and "Primary handler fails" empty.'
        )
    if report.problems:
        count = len(report.problems)
        typer.echo(f"\ndoctor: {count} problem{'s' if count != 1 else ''}")
        raise typer.Exit(code=1)
    typer.echo("\ndoctor: no problems")


def outbox_row(row: OutboxMessage) -> dict[str, object]:
    """One outbox row for ``outbox --json``: ids, states and times, never an address or text."""
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "kind": row.kind.value,
        "via": row.channel.value,
        "status": row.status.value,
        "group_id": row.group_id,
        "membership_id": row.membership_id,
        "meeting_id": row.meeting_id,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat(),
        "last_error": row.last_error,
    }


@app.command("twilio-emulator")
def twilio_emulator(
    host: Annotated[str, typer.Option(help="address to listen on (loopback only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8001,
    server: Annotated[
        str | None,
        typer.Option(help="where the server listens (default: its public base URL)"),
    ] = None,
    delivery: Annotated[
        Mode, typer.Option(help="the order of callbacks (during: before the REST answer)")
    ] = Mode.in_order,
) -> None:
    """Twilio on loopback: its REST API for the server, a phone network for `supportline call`.

    The server reaches it with SUPPORTLINE_TWILIO_API_URL and the same
    SUPPORTLINE_TWILIO_ACCOUNT_SID and SUPPORTLINE_TWILIO_AUTH_TOKEN.
    """
    from supportline.emulator import server as emulator  # noqa: PLC0415 - keeps `--help` fast
    from supportline.emulator_account import line_numbers  # noqa: PLC0415

    logging.config.dictConfig(log_config())
    settings = get_settings()
    account = settings.twilio_account_sid or ACCOUNT_SID
    if account != ACCOUNT_SID:
        raise fail(
            f"the emulator's account is {ACCOUNT_SID}: set SUPPORTLINE_TWILIO_ACCOUNT_SID to it"
        )
    config = emulator.EmulatorConfig(
        host=host,
        port=port,
        server=server or settings.public_base_url,
        public_url=settings.public_base_url,
        account=account,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        mode=delivery,
    )
    refusal = config.refusal() or port_taken(host, port)
    if refusal is not None:
        raise fail(refusal)
    console.print(
        f"Twilio emulator on http://{host}:{port}: the REST API for the server, phones for "
        f"`supportline call`; webhooks go to {config.server} (callbacks: {delivery})"
    )
    emulator.serve(config, account_numbers=partial(line_numbers, get_sessionmaker()))


EmulatorOption = Annotated[
    str, typer.Option("--emulator", help="the Twilio emulator (`supportline twilio-emulator`)")
]


@app.command()
def call(
    number: Annotated[str, typer.Argument(help="the line to dial, e.g. +12025550100")],
    caller: Annotated[str, typer.Option("--from", help="the caller's number")] = "+15005550006",
    emulator: EmulatorOption = EMULATOR_URL,
) -> None:
    """A terminal phone: call a line through the Twilio emulator, type keypad digits."""
    _on_terminal_phone(emulator, lambda phone: phone.call(number, caller))


@app.command()
def receive(
    number: Annotated[str, typer.Argument(help="this phone's number, e.g. +48600100001")],
    emulator: EmulatorOption = EMULATOR_URL,
) -> None:
    """A terminal phone that a <Dial> rings: shows the caller ID, Enter answers."""
    _on_terminal_phone(emulator, lambda phone: phone.receive(number))


def _on_terminal_phone(emulator: str, use: Callable[[TerminalPhone], None]) -> None:
    import httpx  # noqa: PLC0415 - keeps `--help` fast

    from supportline.phone import PhoneError, TerminalPhone, keyboard_line  # noqa: PLC0415

    with httpx.Client(base_url=emulator, timeout=30.0, trust_env=False) as http:
        phone = TerminalPhone(http, read=keyboard_line, write=typer.echo)
        try:
            use(phone)
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None
        except (PhoneError, httpx.HTTPError) as exc:
            reason = str(exc) or type(exc).__name__
            raise fail(
                f"{reason} (is `supportline twilio-emulator` running at {emulator}?)"
            ) from None


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
