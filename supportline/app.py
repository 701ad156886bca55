"""The application factory: routers, error handlers and the health check."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

import supportline.models  # noqa: F401 - every table known before the first query
from auth.router import router as auth_router
from conference.router import api_router as conference_api_router
from conference.router import twilio_router as conference_twilio_router
from console.rendering import STATIC_DIR, install_error_pages
from console.router import router as console_router
from core import pii
from core.database import SessionDep, open_pools
from core.errors import install_error_handlers
from core.limits import BodyLimit
from core.logs import configure_logging
from core.outage import check_database, install_outage_handler
from core.security import start_hashing
from core.settings import get_settings
from core.webhooks import TwilioWebhooks
from core.work import start_unit_threads, stop_unit_threads
from groups.router import deliveries_router as groups_deliveries_router
from groups.router import router as groups_router
from helpline.api import router as helpline_router
from helpline.checkin_api import router as helpline_checkin_router
from helpline.cover_api import router as helpline_cover_router
from helpline.figures_api import router as helpline_figures_router
from helpline.rota_api import router as helpline_rota_router
from helpline.router import twilio_router as helpline_twilio_router
from helpline.voicemail_api import router as helpline_voicemail_router
from notifications.router import router as notifications_router
from notifications.router import twilio_router as notifications_twilio_router
from supportline import version
from supportline.api_docs import install_api_docs
from supportline.readiness import check_stored_keys
from supportline.sms import sms_router
from supportline.voice import entry_router


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    open_pools()
    start_unit_threads()
    start_hashing()
    yield
    stop_unit_threads()  # blocks until the units still running end: the process is stopping


def create_served_app() -> FastAPI:
    """The application as ``supportline serve`` starts it in each web process.

    Everything loaded to build it (models, routes, templates, prompts) lives as long as the
    process: frozen out of the garbage collector's reach, a full collection scans only what
    requests create. Otherwise one took ~100 ms, every request of the process waiting behind
    it. Only a process of its own is frozen so: in tests it would freeze the test runner's heap.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def create_app() -> FastAPI:
    configure_logging()
    # A malformed SUPPORTLINE_PII_KEYS stops the start with a clear message, instead of failing
    # every write of personal data later (pii.PiiKeyError).
    pii.get_cipher()
    app = FastAPI(
        lifespan=lifespan,
        title="supportline",
        summary="Anonymous telephone support groups: groups, referrals, dial-in calls, reminders.",
        version=version(),
        docs_url=None,  # served from local files instead: supportline.api_docs
        redoc_url=None,
    )
    install_error_handlers(app)
    install_outage_handler(app)
    install_error_pages(app)
    settings = get_settings()
    # The console's session cookie: signed, HttpOnly, sent to /console only and never cross-site.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.effective_secret_key.decode(),
        session_cookie="supportline_console",
        max_age=None,
        path="/console",
        same_site="strict",
        https_only=settings.public_base_url.startswith("https://"),
    )
    # Bodies larger than any the API or the console takes are refused before they are read.
    app.add_middleware(BodyLimit)
    # Twilio's webhooks are answered in front of everything else (core.webhooks): they are the
    # requests under load at the top of the hour, Twilio waiting for each answer in silence.
    # Added last, so it is the outermost of the application's own middleware.
    app.add_middleware(
        TwilioWebhooks,
        routers=[
            entry_router,
            sms_router,
            conference_twilio_router,
            helpline_twilio_router,
            notifications_twilio_router,
        ],
    )
    app.include_router(auth_router)
    app.include_router(groups_router)
    app.include_router(conference_api_router)
    app.include_router(notifications_router)
    app.include_router(helpline_router)
    app.include_router(helpline_figures_router)
    app.include_router(helpline_rota_router)
    app.include_router(helpline_checkin_router)
    app.include_router(helpline_voicemail_router)
    app.include_router(helpline_cover_router)
    app.include_router(groups_deliveries_router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(console_router)
    install_api_docs(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        """The address people open first: the staff console."""
        return RedirectResponse("/console/", status_code=307)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers (the database is not asked; see /readyz)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz(session: SessionDep) -> dict[str, str]:
        """Readiness: the database can be read and written, and the keys decrypt and find the
        stored data (503 with the reason when not)."""
        check_database(session)
        check_stored_keys(session)
        return {"status": "ready"}

    return app
