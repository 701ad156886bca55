from __future__ import annotations

from starlette.responses import Response

from core.errors import AppError, Forbidden, InvalidInput, Unauthorized


class SignInRequired(Unauthorized):
    """No valid console session: the console answers with a redirect to the sign-in page."""

    def __init__(self) -> None:
        super().__init__("please sign in")


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "this form could not be accepted: it has expired or did not come from this console. "
            "Go back, reload the page and try again."
        )


class FormRejected(InvalidInput):
    """Bad form input (or a rule the service refused): the same page again, with the messages.

    Raised rather than returned so the unit of work rolls back whatever the service flushed; the
    page is rendered before raising, while the records it shows are still loaded.
    """

    def __init__(self, page: Response, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.page = page


class ActionRefused(FormRejected):
    """A live-call action the conference services refused or Twilio did not confirm: the panel
    again, with the reason. What the service flushed is rolled back."""

    def __init__(self, page: Response, detail: str) -> None:
        super().__init__(page, {"form": detail})


class ActionRefusedKept(ActionRefused):
    """The same, when the service says its change stands (the participant had already left and
    the roster was corrected)."""

    keeps_changes = True


def action_refused(page: Response, cause: AppError) -> ActionRefused:
    kind = ActionRefusedKept if cause.keeps_changes else ActionRefused
    return kind(page, cause.detail)
