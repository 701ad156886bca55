from __future__ import annotations

from typing import Any

from auth.models import Staff
from core.errors import Forbidden, InvalidInput, Unauthorized


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

    Raised rather than returned so the unit of work rolls back whatever the service flushed.
    """

    def __init__(
        self,
        template: str,
        context: dict[str, Any],
        errors: dict[str, str],
        *,
        staff: Staff | None,
        page_status: int = 422,
    ) -> None:
        super().__init__("; ".join(errors.values()))
        self.template = template
        self.context = context
        self.errors = errors
        self.staff = staff
        self.page_status = page_status
