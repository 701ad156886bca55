"""What the helpline's webhooks answer, as values: the services decide, ``helpline.twiml``
renders. A test can say what a caller or a volunteer's phone hears without reading XML."""

from __future__ import annotations

from dataclasses import dataclass

from core.speech import Line, Lines, line

__all__ = ["Line", "Lines", "line"]


@dataclass(frozen=True, slots=True)
class Goodbye:
    """Say the lines and a goodbye, then hang up."""

    language: str
    lines: Lines = ()


@dataclass(frozen=True, slots=True)
class HangUp:
    """Say the lines, then hang up: a volunteer's leg that does not take the call."""

    language: str
    lines: Lines = ()


@dataclass(frozen=True, slots=True)
class Phone:
    """One phone to ring: the leg it is recorded as, and its number (the volunteer's own, a
    duty mobile or the desk phone). The number goes to Twilio only, never to the caller."""

    leg_id: int
    number: str


@dataclass(frozen=True, slots=True)
class Ring:
    """Ring ``phones`` at once for ``seconds``, each showing ``caller_id`` (the line the caller
    dialled), each answered by the whisper; ``lines`` are said to the caller first."""

    language: str
    caller_id: str
    phones: tuple[Phone, ...]
    seconds: int
    time_limit: int  # the longest a conversation may last, in seconds
    lines: Lines = ()


@dataclass(frozen=True, slots=True)
class Whisper:
    """On the volunteer's phone, before the caller is put through: press 1 to take it."""

    language: str
    contact_point: str
    leg_id: int


@dataclass(frozen=True, slots=True)
class PutThrough:
    """The whisper ends and the volunteer is connected to the caller (an empty document)."""


@dataclass(frozen=True, slots=True)
class Record:
    """Say the lines, then offer voicemail: the prompt, a beep and at most ``max_seconds`` of
    recording, ``#`` ending it."""

    language: str
    max_seconds: int
    lines: Lines = ()


Reply = Goodbye | HangUp | Ring | Whisper | PutThrough | Record
