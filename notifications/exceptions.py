from __future__ import annotations

from core.errors import Conflict, NotFound


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such message")


class NoContact(Conflict):
    """The member has no e-mail (or phone) to send this to."""
