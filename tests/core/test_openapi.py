"""Property-based run over the OpenAPI description: whatever a signed-in admin sends, no 5xx.

(schemathesis' own pytest fixture loader does not work with this pytest; the strategy of each
operation is driven with hypothesis directly instead.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from sqlalchemy.orm import Session

from auth.models import Role
from supportline.app import create_app
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_member, create_staff

LABELS = [
    result.ok().label
    for result in schemathesis.openapi.from_asgi("/openapi.json", create_app())
    .include(path_regex="^/api/v1/")
    .get_all_operations()
    if isinstance(result, Ok)
]


@pytest.mark.parametrize("label", LABELS)
def test_no_request_makes_the_server_fail(
    app: FastAPI, client: TestClient, db: Session, clock: Clock, label: str
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    create_member(db, group, now=clock.now())
    headers = auth_headers(client, create_staff(db, Role.admin))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy())
    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def no_server_error(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (label, response.text)

    no_server_error()
