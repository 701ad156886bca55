"""What the commands print besides their results: an error in one line, where messages go.

Output goes to standard error (``console``), so that a command's own output — a JSON document,
a table — stays alone on standard output.
"""

from __future__ import annotations

import socket

import typer
from rich.console import Console

from core.settings import get_settings

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
