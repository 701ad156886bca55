"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), with every
script, style sheet and icon they load served by this server.

FastAPI's own pages load them from a CDN (and ReDoc its fonts from Google), so on a machine
without internet, or behind a network that blocks those hosts, the pages stay blank. The files
come from the ``fastapi-offline`` package: it ships the bundles those CDN addresses serve
(Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI writes, and ReDoc 2) and is released
again as they move on. Only its files are used, through FastAPI's own page builders.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = f"{DOCS_URL}/oauth2-redirect"
ASSETS_URL = f"{DOCS_URL}/assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
# ReDoc's menu shows its maker's logo from their CDN (it hides itself when that fails): images
# from this server only, so opening the docs tells no other host about it.
OWN_IMAGES = {"Content-Security-Policy": "img-src 'self' data:"}


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from local files; the app is made with both turned off
    (``docs_url=None, redoc_url=None``), so FastAPI's CDN pages are not there as well."""
    assert app.openapi_url is not None
    openapi_url = app.openapi_url
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")

    def under_root(request: Request, path: str) -> str:
        # Behind a proxy that serves the app under a path prefix, as FastAPI's own pages do.
        return str(request.scope.get("root_path", "")).rstrip("/") + path

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI: the API's operations, to read and try."""
        return get_swagger_ui_html(
            openapi_url=under_root(request, openapi_url),
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=under_root(request, OAUTH2_REDIRECT_URL),
            swagger_js_url=under_root(request, f"{ASSETS_URL}/swagger-ui-bundle.js"),
            swagger_css_url=under_root(request, f"{ASSETS_URL}/swagger-ui.css"),
            swagger_favicon_url=under_root(request, f"{ASSETS_URL}/favicon.png"),
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        """Where Swagger UI's sign-in window returns to."""
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        """ReDoc: the API's reference on one page."""
        page = get_redoc_html(
            openapi_url=under_root(request, openapi_url),
            title=f"{app.title} - ReDoc",
            redoc_js_url=under_root(request, f"{ASSETS_URL}/redoc.standalone.js"),
            redoc_favicon_url=under_root(request, f"{ASSETS_URL}/favicon.png"),
            with_google_fonts=False,
        )
        page.headers.update(OWN_IMAGES)
        return page
