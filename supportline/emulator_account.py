"""The numbers of the emulator's Twilio account: the server's lines.

At Twilio a number reaches the server only if the account has it, and a ``<Dial callerId>`` may
show only such a number — a contact point's line on a call that came in on the national line,
say. The emulator (``supportline twilio-emulator``) runs beside the server on its database, so it
reads the lines there, anew each time a Dial asks: a line added while it runs counts too.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.logs import get_logger
from groups import service as groups_service

log = get_logger(__name__)


def line_numbers(sessions: sessionmaker[Session]) -> frozenset[str]:
    """Every line's number; none while the database cannot be read (the Dial then fails with
    13214, as at Twilio with a number the account does not have)."""
    try:
        with sessions.begin() as session:
            return frozenset(line.number for line in groups_service.list_lines(session))
    except SQLAlchemyError as error:
        log.warning("emulator.lines_unreadable", extra={"reason": type(error).__name__})
        return frozenset()
