"""Addresses under ``/console`` that no page answers: the console router's last route.

The address of a button's form opened as a page (a reloaded result, the browser's history, a
copied link) leads back to the page the button is on, with a word that nothing was done;
anything else is a "not found" page. Answered by a route rather than by the error handlers, so
that whoever is signed in is known, and the page keeps the navigation and Sign out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from console.dependencies import ConsoleViewer
from console.rendering import PREFIX, error_page, flash, redirect

NOTHING_DONE = (
    "Nothing was done: that address works only with its button, and opening it again (for "
    "example by reloading the page) does not repeat the action. This is the page it belongs to."
)


@dataclass(frozen=True)
class Address:
    pattern: re.Pattern[str]
    methods: frozenset[str]


def _addresses(own: APIRouter, pages: Sequence[APIRouter]) -> list[Address]:
    """Every route of the console: ``own``'s paths carry the prefix, the page routers' do not."""
    paths = [(route.path, route.methods) for route in own.routes if isinstance(route, APIRoute)]
    for router in pages:
        paths += [(PREFIX + r.path, r.methods) for r in router.routes if isinstance(r, APIRoute)]
    return [Address(compile_path(path)[0], frozenset(methods or ())) for path, methods in paths]


def last_router(own: APIRouter, pages: Sequence[APIRouter]) -> APIRouter:
    """The route for what none of ``own``'s and ``pages``' routes answers; included last."""
    addresses = _addresses(own, pages)
    router = APIRouter()

    def answers(path: str, method: str) -> bool:
        return any(a.pattern.match(path) and method in a.methods for a in addresses)

    def page_of_form(path: str) -> str | None:
        """The nearest page above a form's address (``/console/memberships/7/resend/pin``
        belongs to ``/console/memberships/7``); None when ``path`` is no form's address."""
        if not answers(path, "POST"):
            return None
        parent = path
        while parent != PREFIX:
            parent = parent.rsplit("/", maxsplit=1)[0]
            if answers(parent, "GET"):
                return parent
        return f"{PREFIX}/"

    @router.api_route("/{address:path}", methods=["GET", "POST"])
    def no_such_page(request: Request, viewer: ConsoleViewer) -> Response:
        """Back to the page of a button whose address was opened, or a page saying there is
        none (a form sent to a page that takes none: nothing was changed)."""
        path = request.url.path
        if request.method == "POST":
            return error_page(request, 405 if answers(path, "GET") else 404, "")
        if path.endswith("/") and answers(path.rstrip("/"), "GET"):
            return redirect(
                path.rstrip("/") + (f"?{request.url.query}" if request.url.query else "")
            )
        page = page_of_form(path)
        if page is None:
            return error_page(request, 404, "")
        if viewer is not None:
            flash(request, NOTHING_DONE)
        return redirect(page)

    return router
