"""The application factory: routers, error handlers and the health check."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

import core.models  # noqa: F401 - every table known before the first query
from auth.router import router as auth_router
from core.database import SessionDep
from core.errors import install_error_handlers
from core.logs import configure_logging
from groups.router import router as groups_router
from notifications.router import router as notifications_router


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title="supportline",
        summary="Anonymous telephone support groups: groups, referrals, dial-in calls, reminders.",
        version="0.1.0",
    )
    install_error_handlers(app)
    app.include_router(auth_router)
    app.include_router(groups_router)
    app.include_router(notifications_router)

    @app.get("/healthz", tags=["health"])
    def healthz(session: SessionDep) -> dict[str, str]:
        """Liveness and database reachability."""
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
