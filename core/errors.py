"""The application's error hierarchy, rendered by one handler as ``{"error", "detail"}``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from core.schemas import Schema


class AppError(Exception):
    status_code: ClassVar[int] = 400
    error: ClassVar[str] = "bad_request"
    # Most errors undo the unit of work; a few must keep what was flushed (a failed login attempt).
    keeps_changes: ClassVar[bool] = False
    headers: ClassVar[Mapping[str, str]] = {}

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(AppError):
    status_code = 422
    error = "invalid_input"


class Unauthorized(AppError):
    status_code = 401
    error = "unauthorized"


class Forbidden(AppError):
    """The caller's role can never do this (for example a helper approving a referral)."""

    status_code = 403
    error = "forbidden"


class NotFound(AppError):
    """Missing, or outside what the caller may see: both look the same, so nothing leaks."""

    status_code = 404
    error = "not_found"


class Conflict(AppError):
    status_code = 409
    error = "conflict"


class TooManyRequests(AppError):
    status_code = 429
    error = "too_many_requests"


class ProviderError(AppError):
    """An external system (Twilio, SMTP) failed; the detail says what the user can do."""

    status_code = 502
    error = "provider_error"


def _render(
    status_code: int, error: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    headers = {**(headers or {})}
    if status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        {"error": error, "detail": detail}, status_code=status_code, headers=headers or None
    )


def error_response(exc: AppError) -> JSONResponse:
    """The JSON answer to an ``AppError``: its status and ``{"error", "detail"}``."""
    return _render(exc.status_code, exc.error, exc.detail, exc.headers)


class ErrorRead(Schema):
    """Every error the API answers, whatever its status."""

    error: str = Field(
        description="what kind of error, for programs: not_found, invalid_input, conflict, ...",
        examples=["not_found"],
    )
    detail: str = Field(
        description="what went wrong and what to do, for people; it never repeats personal data",
        examples=["no such group, or it is not one of yours"],
    )


ERROR_DESCRIPTIONS = {
    401: "No valid bearer token (at login: a wrong username or password)",
    403: "The caller's role never allows this",
    404: "No such record, or it is outside the caller's groups (both look the same)",
    409: "The record's state does not allow this now",
    413: "The request body is larger than any this API takes",
    422: "Malformed input: the detail names each field and what is wrong with it",
    429: "Too many failed logins for this account or from this address; try again later",
    502: "Twilio or the mail server failed; the detail says what to do",
    503: "The database is busy or unavailable just now; try again in a minute (Retry-After)",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of some routes, for their OpenAPI description (``responses=``)."""
    return {
        code: {"model": ErrorRead, "description": ERROR_DESCRIPTIONS[code]} for code in status_codes
    }


# What any route of the JSON API may answer besides success: declared on each router.
API_ERRORS = error_responses(401, 403, 404, 409, 413, 422, 503)


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the application takes at the request's path.

    Starlette's own 405 names the methods of the first route that matches the path, while a
    path here often has a route per method (GET and PATCH ``/groups/{group_id}``): each method
    is tried against all routes instead. A mount (static files) matches any method: its own
    answer says what it takes.
    """
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = []
    for method in HTTP_METHODS:
        probe = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def http_error_headers(request: Request, exc: StarletteHTTPException) -> dict[str, str]:
    """The headers of an HTTP error's answer: its own and, for a 405, ``Allow`` (RFC 9110)."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return headers


# A body that is not one JSON object: missing, another content type, a list, a bare value.
NOT_AN_OBJECT = "send a JSON object in the body, with Content-Type: application/json"
_WHOLE_BODY_ERRORS = frozenset({"missing", "model_attributes_type", "dict_type", "model_type"})


# Where pydantic's words say what is wrong ("input is too short") rather than what is expected.
DATE_TIME = "expected an ISO 8601 date-time such as 2026-03-02T19:00:00+01:00"
MESSAGES_BY_TYPE = {
    "datetime_type": DATE_TIME,
    "datetime_parsing": DATE_TIME,
    "datetime_from_date_parsing": DATE_TIME,
    "datetime_object_invalid": DATE_TIME,
}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def describe_validation_errors(
    errors: Sequence[Mapping[str, Any]], *, form_expected: bool = False
) -> str:
    """Pydantic errors as one readable sentence, naming fields but never echoing their values.

    ``form_expected``: the route takes form fields and the request sent none (JSON, say); the
    fields it misses are named once, with how to send them, instead of one by one.
    """
    parts, unsent = [], []
    for item in errors:
        where = tuple(item.get("loc", ()))
        if form_expected and item.get("type") == "missing" and where[:1] == ("body",):
            unsent.append(str(where[-1]))
        else:
            parts.append(_describe(item, where))
    if unsent:
        fields = f"{', '.join(unsent[:-1])} and {unsent[-1]}" if len(unsent) > 1 else unsent[0]
        parts.insert(0, f"send {fields} as form fields, with Content-Type: {FORM_TYPES[0]}")
    return "; ".join(parts) or "the request is not valid"


def _describe(item: Mapping[str, Any], where: tuple[Any, ...]) -> str:
    kind = item.get("type")
    if kind == "json_invalid":  # where: ("body", position of the fault)
        near = f" (near character {where[1] + 1})" if len(where) > 1 else ""
        return f"the body is not valid JSON{near}"
    if where == ("body",) and kind in _WHOLE_BODY_ERRORS:
        return NOT_AN_OBJECT
    location = ".".join(str(p) for p in where if p not in ("body", "query", "path"))
    message = MESSAGES_BY_TYPE.get(str(kind)) or str(item.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _form_expected(request: Request) -> bool:
    """The route takes form fields (the OAuth2 login does) and the request is not a form."""
    body = getattr(request.scope.get("route"), "body_field", None)
    if body is None or not isinstance(body.field_info, params.Form):
        return False
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type not in FORM_TYPES


def install_error_handlers(app: FastAPI) -> None:
    async def app_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return error_response(exc)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail = describe_validation_errors(exc.errors(), form_expected=_form_expected(request))
        return _render(422, "invalid_input", detail)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        names = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
        }
        return _render(
            exc.status_code,
            names.get(exc.status_code, "error"),
            str(exc.detail),
            http_error_headers(request, exc),
        )

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
