"""The words a helpline volunteer replies by SMS, from the settings, and the one each language
suggests in its messages."""

from __future__ import annotations

from enum import StrEnum

from core.schemas import language_or_default
from core.settings import get_settings
from helpline import prompts


class Reply(StrEnum):
    check_in = "check_in"
    decline = "decline"
    accept = "accept"


# The word each language suggests in its messages (translated in the catalogs); one that the
# settings no longer list gives way to the first listed.
SUGGESTED = {Reply.check_in: "OK", Reply.decline: "NO", Reply.accept: "YES"}


def words(reply: Reply) -> list[str]:
    settings = get_settings()
    configured = {
        Reply.check_in: settings.helpline_checkin_words,
        Reply.decline: settings.helpline_decline_words,
        Reply.accept: settings.helpline_accept_words,
    }[reply]
    return [word.strip().upper() for word in configured.split(",") if word.strip()]


def suggested(reply: Reply, language: str) -> str:
    """The word to ask for in ``language``."""
    listed = words(reply)
    word = prompts.catalog(language_or_default(language)).get(SUGGESTED[reply], SUGGESTED[reply])
    return word if word.upper() in listed or not listed else listed[0]


def classify(body: str) -> Reply | None:
    """What the first word says, any case, punctuation around it ignored."""
    parts = body.strip().split()
    first = parts[0].strip(".,!?;:").upper() if parts else ""
    return next((reply for reply in Reply if first and first in words(reply)), None)
