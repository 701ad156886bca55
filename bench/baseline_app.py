"""The bare baseline: FastAPI on the same uvicorn settings, parsing the form, static TwiML.

Whatever the real app costs beyond this (signature checks, queries, hashing, TwiML building) is the
application's own cost.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/baseline" '
    'finishOnKey="#" input="dtmf" method="POST" timeout="10"><Say language="en-US">Please enter '
    "your participant number, then press the hash key.</Say></Gather></Response>"
)


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/{path:path}")
    async def answer(path: str, request: Request) -> Response:
        await request.form()
        return Response(TWIML, media_type="application/xml")

    return app
