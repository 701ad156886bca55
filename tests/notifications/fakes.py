"""In-memory providers for the tests: they record what they were given and fail on request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from notifications.providers import Sms


@dataclass
class FakeSms:
    """In-memory SMS sender: records messages; ``failures`` are raised first, in order."""

    sent: list[Sms] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send_sms(self, message: Sms) -> str:
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message)
            self.counter += 1
            return f"SM{self.counter:032d}"


@dataclass
class FakeMailer:
    """In-memory mailer: records messages; ``failures`` are raised first, in order."""

    sent: list[EmailMessage] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def send_email(self, message: EmailMessage) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return str(message["Message-ID"])
