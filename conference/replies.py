"""What the call's webhooks answer, as values: the services decide, ``conference.twiml`` renders.

Each reply is a small frozen value, so a test can say what a caller hears (``Farewell("en",
(line(Prompt.room_locked),))``) without reading XML, and the common documents can be cached by
their content.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.speech import Line, Lines, line

__all__ = ["Line", "Lines", "line"]


@dataclass(frozen=True, slots=True)
class Ask:
    """Speak ``lines`` while gathering keypad digits ending with ``#``, posted to
    ``action_path``; silence ends the call."""

    language: str
    action_path: str
    lines: Lines


@dataclass(frozen=True, slots=True)
class Join:
    """Speak ``lines``, then dial into the meeting's room for at most ``time_limit`` seconds,
    labelled ``label``; a moderator's entry starts the conference."""

    language: str
    lines: Lines
    room: str
    label: str
    moderator: bool
    time_limit: int


@dataclass(frozen=True, slots=True)
class Farewell:
    """Speak ``lines`` (why the call ends, if anything), say goodbye and hang up."""

    language: str
    lines: Lines = ()


@dataclass(frozen=True, slots=True)
class Wait:
    """The waiting room: ``lines`` once, then music until the conference starts."""

    language: str
    lines: Lines = ()


@dataclass(frozen=True, slots=True)
class Speak:
    """Only speech: an announcement into the room."""

    language: str
    lines: Lines


@dataclass(frozen=True, slots=True)
class Empty:
    """Nothing to do: an empty document."""


Reply = Ask | Join | Farewell | Wait | Speak | Empty
