from __future__ import annotations

from core.errors import Conflict, NotFound


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such message")


class NoContact(Conflict):
    """The member has no e-mail (or phone) to send this to."""


class SmsOptedOut(Conflict):
    """The member's number replied STOP: Twilio refuses every SMS to it (error 21610)."""
