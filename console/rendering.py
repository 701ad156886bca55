"""Server-rendered pages: the template environment, one ``render`` for every page, and the HTML
error pages that the console shows instead of the API's JSON errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from babel import support
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from auth.models import Role, Staff
from console.dependencies import Viewer, csrf_token, viewer_of
from console.exceptions import FormRejected, SignInRequired
from core.clock import local_time
from core.errors import AppError, http_error_headers
from core.outage import UNAVAILABLE, is_outage, record_outage
from core.schemas import LANGUAGES

PREFIX = "/console"
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
STATIC_DIR = Path(__file__).resolve().parent / "static"
FLASH = "flash"

# Pages show aliases, schedules and sometimes credentials: never cached, framed or sent elsewhere.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]
    helpline: bool = False  # also for whoever coordinates or serves at a contact point


_STAFF = frozenset(Role)
_MODERATING = frozenset({Role.admin, Role.moderator})
_ADMIN = frozenset({Role.admin})

# One list for the whole console; the live panel belongs to one meeting, so meeting rows link it.
NAVIGATION = (
    NavItem("My groups", f"{PREFIX}/", _MODERATING),
    NavItem("Referral queue", f"{PREFIX}/referrals", _MODERATING),
    NavItem("Refer a caller", f"{PREFIX}/referrals/new", _STAFF),
    NavItem("Helpline", f"{PREFIX}/helpline", _ADMIN, helpline=True),
    NavItem("Staff", f"{PREFIX}/admin/staff", _ADMIN),
    NavItem("Lines", f"{PREFIX}/admin/lines", _ADMIN),
    NavItem("Audit log", f"{PREFIX}/admin/audit", _ADMIN),
)


def navigation(staff: Staff | Viewer | None, *, on_helpline: bool = False) -> list[NavItem]:
    if staff is None:
        return []
    return [
        item for item in NAVIGATION if staff.role in item.roles or (item.helpline and on_helpline)
    ]


def local_date_time(value: datetime | None, zone: str, pattern: str = "%a %d %b %Y, %H:%M") -> str:
    """The pages' filter ``local``: a UTC instant as the group's wall-clock day and time, or the
    part of it ``pattern`` names; nothing for an instant not there (a meeting not moved)."""
    return "" if value is None else local_time(value, zone, pattern)


def sentence(text: str) -> str:
    """Service messages are lower-case fragments; on a page they read as sentences."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


# Counted words ("1 referral", "2 referrals") in ngettext's form, in pages and in messages alike:
# {{ ngettext("%(num)d referral", "%(num)d referrals", count) }}. The console speaks English;
# the same calls take a Babel catalogue of another language's plural forms as they are.
TRANSLATIONS = support.NullTranslations()
ngettext = TRANSLATIONS.ngettext
TEMPLATES.env.add_extension("jinja2.ext.i18n")
TEMPLATES.env.install_gettext_translations(TRANSLATIONS, newstyle=True)  # type: ignore[attr-defined]
TEMPLATES.env.filters["local"] = local_date_time
TEMPLATES.env.filters["sentence"] = sentence
# The choices of every form's language field: each language the service speaks, by name.
LANGUAGE_NAMES = {"en": "English", "pl": "Polish", "he": "Hebrew"}
# A language on a page: its name ("Polish"), never its code.
TEMPLATES.env.filters["language"] = lambda code: LANGUAGE_NAMES.get(code, code)
TEMPLATES.env.globals["language_options"] = [
    (code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES
]
TEMPLATES.env.globals["weekdays_long"] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def flash(request: Request, message: str) -> None:
    """A one-line confirmation shown on the next page (after the redirect of a form post)."""
    request.session.setdefault(FLASH, []).append(message)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    staff: Staff | Viewer | None = None,
    status_code: int = 200,
) -> Response:
    viewer = viewer_of(request)
    page = {
        "staff": staff,
        "navigation": navigation(staff, on_helpline=viewer is not None and viewer.helpline),
        "csrf_token": csrf_token(request),
        "flashes": request.session.pop(FLASH, []),
        "current_path": request.url.path,
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(
        request, template, page, status_code=status_code, headers=SECURITY_HEADERS
    )


def fragment(request: Request, template: str, context: dict[str, Any]) -> Response:
    """A part of a page that a script fetches again and again: no flashes are consumed."""
    page = {"csrf_token": csrf_token(request), **context}
    return TEMPLATES.TemplateResponse(request, template, page, headers=SECURITY_HEADERS)


def reject_form(
    request: Request,
    template: str,
    context: dict[str, Any],
    errors: dict[str, str],
    *,
    staff: Staff | None,
) -> FormRejected:
    """The form page again with a message next to each field that needs attention."""
    page = render(request, template, {**context, "errors": errors}, staff=staff, status_code=422)
    return FormRejected(page, errors)


def redirect(path: str) -> RedirectResponse:
    """After a successful form post: see the result on a page that can be reloaded safely."""
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


# --- errors -------------------------------------------------------------------------------------

TITLES = {
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "That cannot be done now",
    422: "Please check what you entered",
    429: "Please wait a moment",
    503: "Please try again in a minute",
}
NO_SUCH_PAGE = "there is no such page. Check the address, or go back to the console"
# Some errors carry no words of their own (a wrong method, an unexpected fault).
SAID_FOR = {
    404: NO_SUCH_PAGE,
    405: "this address does not take that kind of request, so nothing was changed",
    500: (
        "something went wrong on the server. Please go back and try again; if it keeps "
        "happening, tell a coordinator"
    ),
}


def error_page(request: Request, status_code: int, detail: str) -> Response:
    """The page for an error: its words, and the header with the navigation and Sign out for
    whoever is signed in (known from the request, the database row being gone by now)."""
    title = TITLES.get(status_code, "Something went wrong")
    context = {
        "title": title,
        "detail": detail or SAID_FOR.get(status_code, ""),
        "status": status_code,
    }
    return render(request, "error.html", context, staff=viewer_of(request), status_code=status_code)


JsonHandler = Callable[[Request, Exception], Awaitable[Response]]


def install_error_pages(app: FastAPI) -> None:
    """Errors under ``/console`` become pages; everything else keeps the API's JSON handlers."""
    json_handlers = cast(dict[Any, JsonHandler], dict(app.exception_handlers))

    def for_console(kind: type[Exception], describe: Any) -> None:
        fallback = json_handlers[kind]

        async def handler(request: Request, exc: Exception) -> Response:
            if not request.url.path.startswith(PREFIX):
                return await fallback(request, exc)
            if isinstance(exc, SignInRequired):
                return redirect(f"{PREFIX}/login")
            if isinstance(exc, FormRejected):
                return exc.page
            if isinstance(exc, DBAPIError) and not is_outage(exc):
                raise exc  # a fault, not an outage: the page for the unexpected below
            if isinstance(exc, DBAPIError):
                record_outage(exc, request.url.path)
            status_code, detail = describe(exc)
            page = error_page(request, status_code, detail)
            if isinstance(exc, StarletteHTTPException):  # a 405's Allow, for one
                page.headers.update(http_error_headers(request, exc))
            return page

        app.add_exception_handler(kind, handler)

    for_console(AppError, lambda exc: (exc.status_code, exc.detail))
    for_console(
        RequestValidationError,
        lambda _exc: (422, "this address or form is not valid; go back and try again"),
    )
    for_console(StarletteHTTPException, lambda exc: (exc.status_code, ""))
    for_console(DBAPIError, lambda _exc: (503, UNAVAILABLE))

    async def unexpected(request: Request, _exc: Exception) -> Response:
        # What Starlette answers without a handler; the error is still raised and logged after.
        if not request.url.path.startswith(PREFIX) or "session" not in request.scope:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return error_page(request, 500, "")

    app.add_exception_handler(Exception, unexpected)
