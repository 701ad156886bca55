"""The commands that look after stored records: the keys of personal data, the audit log,
retention, the outbox, and the preflight check (``supportline.cli`` registers them)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from core import pii
from core.database import Base, get_sessionmaker, utcnow
from core.settings import get_settings, settings_problems
from notifications.models import OutboxMessage
from supportline.terminal import announce_providers, console, fail

pii_app = typer.Typer(help="Encryption of personal data.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


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
