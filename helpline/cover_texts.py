"""The SMS replies to a volunteer's NO and YES, in the contact point's language, from the
helpline's Babel catalogs. Placeholders are a day and times: never a name or a number."""

from __future__ import annotations

from enum import StrEnum

from core.schemas import language_or_default
from core.speech import translate
from helpline import prompts


class Reply(StrEnum):
    declined = (
        "Thank you for letting us know. You are no longer on duty on {day} at {time}; "
        "we are asking others to cover it."
    )
    nothing_to_decline = (
        "We found no coming duty you were reminded of. To change your duties, open the "
        "console or call your coordinator."
    )
    accepted = "Thank you: you are on duty on {day} at {time}–{end}."
    already_taken = "This duty has already been taken. Thank you all the same."
    no_request = "There is no open request to cover a duty just now. Thank you all the same."
    over = "This duty is over or was cancelled. Thank you all the same."
    clashes = "You are on another duty at that time, so this one stays open for others. Thank you."


def text(language: str, reply: Reply, **values: str) -> str:
    """The reply in ``language`` (English when a translation is missing), placeholders filled."""
    return translate(prompts.catalog(language_or_default(language)), reply.value, **values)
