"""Outgoing SMS and e-mail behind two small Protocols, with their Twilio and SMTP versions.

Implementations turn every provider failure into one of ours:
- :class:`DeliveryError` with ``permanent`` set when sending again cannot help (SMTP 5xx, Twilio
  21610 unsubscribed, 21211 invalid number), unset when it may (SMTP 4xx, connection errors,
  Twilio 5xx/429, a connect timeout);
- :class:`DeliveryInDoubt` when the request may have reached the provider but no answer came back
  (a read timeout): the dispatcher then waits for Twilio's status callback (docs/delivery.md).

Reasons are built from codes only: provider texts can quote the recipient's number or address.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.settings import Settings, get_settings
from core.twilio_http import make_twilio_client

# Twilio errors that no retry can fix (https://www.twilio.com/docs/api/errors).
PERMANENT_TWILIO_CODES: dict[int, str] = {
    21211: "invalid 'To' phone number",
    21408: "sending to this region is not enabled",
    21610: "recipient unsubscribed (replied STOP)",
    21612: "this number cannot be reached by SMS from this line",
    21614: "'To' number is not a mobile number",
}
UNSUBSCRIBED = 21610


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


class DeliveryInDoubt(Exception):
    """The provider may or may not have accepted the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sms:
    to: str
    from_: str
    body: str
    status_callback: str


class SmsSender(Protocol):
    def send_sms(self, message: Sms) -> str:
        """Send one SMS; returns the provider's message id."""
        ...


class Mailer(Protocol):
    def send_email(self, message: EmailMessage) -> str:
        """Send one e-mail (``To`` set); returns its Message-ID."""
        ...


class TwilioSms:
    """Programmable Messaging through the twilio SDK (an injected ``Client``)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def send_sms(self, message: Sms) -> str:
        try:
            created = self.client.messages.create(
                to=message.to,
                from_=message.from_,
                body=message.body,
                status_callback=message.status_callback,
            )
        except TwilioRestException as exc:
            raise _twilio_error(exc) from None
        except requests.ConnectTimeout:
            raise DeliveryError("twilio: connect timeout", permanent=False) from None
        except requests.Timeout:
            raise DeliveryInDoubt("twilio: no answer in time (read timeout)") from None
        except requests.ConnectionError:
            raise DeliveryError("twilio: connection failed", permanent=False) from None
        return str(created.sid)


class PerThreadTwilioSms:
    """``TwilioSms`` for a dispatcher sending on several threads: one ``Client`` per thread.

    The SDK's ``TwilioHttpClient`` keeps a ``requests.Session`` and the last request and response
    on itself, and neither is documented as safe to share between threads; a client per thread
    also keeps one open connection per thread.
    """

    def __init__(self, make_client: Callable[[], Client]) -> None:
        self.make_client = make_client
        self.local = threading.local()

    def send_sms(self, message: Sms) -> str:
        sender: TwilioSms | None = getattr(self.local, "sender", None)
        if sender is None:
            sender = self.local.sender = TwilioSms(self.make_client())
        return sender.send_sms(message)


def _twilio_error(exc: TwilioRestException) -> DeliveryError:
    code = exc.code if isinstance(exc.code, int) else None
    if code in PERMANENT_TWILIO_CODES:
        return DeliveryError(
            f"twilio {code}: {PERMANENT_TWILIO_CODES[code]}", permanent=True, code=code
        )
    status = int(exc.status or 0)
    transient = status == 429 or status >= 500 or code == 20429
    return DeliveryError(
        f"twilio {code or status}: HTTP {status}", permanent=not transient, code=code
    )


class SmtpMailer:
    """E-mail over SMTP with optional STARTTLS and login, one connection per message."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value()
        self.starttls = settings.smtp_starttls
        self.timeout = timeout

    def send_email(self, message: EmailMessage) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise _smtp_error(codes[0] if codes else 550, "recipient refused") from None
        except smtplib.SMTPAuthenticationError:
            # A configuration problem, not the message's: keep retrying until it is fixed.
            raise DeliveryError("smtp: authentication failed", permanent=False) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_error(exc.smtp_code, "refused") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__}", permanent=False) from None
        return str(message["Message-ID"])


def _smtp_error(code: int, what: str) -> DeliveryError:
    return DeliveryError(f"smtp {code}: {what}", permanent=500 <= code < 600, code=code)


def get_sms_sender() -> SmsSender | None:
    """Twilio when an account is configured; ``None`` means "no provider configured"."""
    settings = get_settings()
    if not settings.twilio_configured:
        return None
    return PerThreadTwilioSms(
        partial(
            make_twilio_client,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            api_url=settings.twilio_api_url,
        )
    )


def get_mailer() -> Mailer | None:
    """SMTP when a host is configured; ``None`` means "no provider configured"."""
    settings = get_settings()
    return SmtpMailer(settings) if settings.smtp_configured else None
