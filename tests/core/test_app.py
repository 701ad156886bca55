"""The application's start-up and shutdown."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_start_up_objects_are_kept_out_of_the_garbage_collectors_scans(app: FastAPI) -> None:
    # A full collection over everything loaded at start-up took ~100 ms, with every request of
    # the process waiting behind it; frozen, they are not scanned again.
    gc.unfreeze()  # whatever an earlier test's server left frozen
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000
        assert client.get("/healthz").json() == {"status": "ok"}
    assert gc.get_freeze_count() == 0
