"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, or refuses on demand."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    # SMTP replies refusing these recipients, once each: by address, not by arrival order,
    # because the dispatcher sends a batch on several connections at once.
    refuse_rcpt: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt.pop(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def password_checker(username: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting exactly this login."""

    def check(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (username, password)
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(authenticator: Any = None) -> Iterator[tuple[Inbox, int]]:
    """aiosmtpd on 127.0.0.1; with ``authenticator`` it offers AUTH (without TLS: loopback)."""
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = {}
    if authenticator is not None:
        # AUTH offered (not required: aiosmtpd warns about required AUTH without TLS); each
        # message records whether its session logged in.
        options = {"authenticator": authenticator, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def decoded_text(message: EmailMessage) -> str:
    """Headers and every text part decoded (base64 or quoted-printable on the wire)."""
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        if part.get_content_maintype() == "text" and isinstance(part, EmailMessage):
            content = part.get_content()
            parts.append(content.decode() if isinstance(content, bytes) else str(content))
    return "\n".join(parts)
