"""The reference apps the real server is measured against, on the same uvicorn settings.

``create_app`` — the bare baseline: FastAPI parsing the form and answering static TwiML. Whatever
the real app costs beyond this (signature checks, queries, hashing, TwiML building) is its own.

``create_hashing_app`` — the hash-only app: the bare baseline plus the one cost a call cannot
avoid, the PIN step's argon2 verification, on the real app's hashing threads (same count, same
niceness, started before the first call). What it reaches is the most any app on this framework
and this machine can reach: the ceiling the real app's saturation and PIN tail are compared with.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from bench.callers import PIN_STEP  # each baseline step is posted to /baseline/<step>

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/baseline" '
    'finishOnKey="#" input="dtmf" method="POST" timeout="10"><Say language="en-US">Please enter '
    "your participant number, then press the hash key.</Say></Gather></Response>"
)
PIN_HASH_VARIABLE = "SUPPORTLINE_BENCH_PIN_HASH"


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/{path:path}")
    async def answer(path: str, request: Request) -> Response:
        await request.form()
        return Response(TWIML, media_type="application/xml")

    return app


def create_hashing_app() -> FastAPI:
    from core import security  # the real app's hashing threads, configured by its settings

    pin_hash = os.environ[PIN_HASH_VARIABLE]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        security.start_hashing()
        yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/{path:path}")
    async def answer(path: str, request: Request) -> Response:
        form = await request.form()
        if path.rpartition("/")[2] == PIN_STEP and not await security.verify_secret_async(
            str(form.get("Digits", "")), pin_hash
        ):
            return Response("wrong PIN", status_code=403)
        return Response(TWIML, media_type="application/xml")

    return app
