"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, or refuses on demand."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)  # whether each came after STARTTLS
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
        self.encrypted.append(session.ssl is not None)
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
def smtp_server(
    authenticator: Any = None, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[Inbox, int]]:
    """aiosmtpd on 127.0.0.1; with ``authenticator`` it offers AUTH (without TLS: loopback).

    With ``tls`` (a server context, see ``certificates``) it offers STARTTLS, requires it before
    anything is sent, and offers AUTH only once the session is encrypted.
    """
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = {}
    if authenticator is not None:
        # AUTH offered (not required: aiosmtpd warns about required AUTH without TLS); each
        # message records whether its session logged in.
        options = {"authenticator": authenticator, "auth_require_tls": tls is not None}
    if tls is not None:
        options |= {"tls_context": tls, "require_starttls": True}
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


@dataclass(frozen=True)
class Certificates:
    """A certificate authority of the test's own and a server context it signed for 127.0.0.1."""

    authority: Path  # PEM of the authority, for clients to trust (``SSL_CERT_FILE``)
    server: ssl.SSLContext


def certificates(directory: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 with the extensions strict verifiers want."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "supportline test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        _valid(x509.CertificateBuilder(), now)
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        _valid(x509.CertificateBuilder(), now)
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    authority = directory / "ca.pem"
    authority.write_bytes(ca.public_bytes(pem))
    chain = directory / "server.pem"
    chain.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + leaf.public_bytes(pem)
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(chain)
    return Certificates(authority, server)


def _valid(builder: x509.CertificateBuilder, now: datetime) -> x509.CertificateBuilder:
    return (
        builder.serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
    )


def _usage(*, key_cert_sign: bool = False, digital_signature: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
