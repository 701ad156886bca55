from __future__ import annotations

from core.errors import Conflict, NotFound, ProviderError


class ParticipantNotInCall(NotFound):
    def __init__(self) -> None:
        super().__init__("no such participant in this meeting's call")


class ConferenceNotStarted(Conflict):
    def __init__(self) -> None:
        super().__init__("the conference of this meeting is not running")


class ExtensionLimitReached(Conflict):
    def __init__(self, hours: int) -> None:
        super().__init__(f"a meeting can be extended by at most {hours} hours in all")


class CallLimitReached(Conflict):
    def __init__(self, hours: int) -> None:
        super().__init__(
            f"calls last at most {hours} hours (the phone provider's limit), counted from when "
            "dial-in opens: this meeting cannot be extended further"
        )


class ParticipantLeft(Conflict):
    """Twilio says the call is gone (20404): the roster is corrected and that change is kept."""

    error = "participant_left"
    keeps_changes = True

    def __init__(self) -> None:
        super().__init__("this participant has already left the call; the roster is updated")


class ControlFailed(ProviderError):
    """Twilio failed or timed out; nothing in our roster changed, so the action can be retried."""

    def __init__(self, action: str) -> None:
        super().__init__(f"Twilio did not confirm the {action}; please try again in a moment")


class EjectedButStillInCall(ProviderError):
    """The membership is ejected (kept), but Twilio did not confirm removing the live call."""

    keeps_changes = True

    def __init__(self) -> None:
        super().__init__(
            "the membership is ejected and its credentials no longer work, but Twilio did not "
            "confirm removing the call; use kick to try again"
        )
