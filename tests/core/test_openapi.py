"""Property-based run over the OpenAPI description: whatever a caller sends, no 5xx, and every
answer is one the description declares — its status, its content type, its body's schema.

(schemathesis' own pytest fixture loader does not work with this pytest; the strategy of each
operation is driven with hypothesis directly instead.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
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


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# An admin reaches the most of each operation; the others are turned away (403, 401) early.
EXAMPLES = {"admin": 6, "helper": 2, "anonymous": 2}


@pytest.mark.parametrize("caller", sorted(EXAMPLES))
@pytest.mark.parametrize("label", LABELS)
def test_every_answer_is_as_described(
    app: FastAPI, client: TestClient, db: Session, clock: Clock, *, label: str, caller: str
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    create_member(db, group, now=clock.now())
    headers = {} if caller == "anonymous" else auth_headers(client, create_staff(db, Role[caller]))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES[caller],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def as_described(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    as_described()


def test_a_method_a_path_does_not_take_is_405_with_allow(client: TestClient, app: FastAPI) -> None:
    # RFC 9110: a 405 lists in Allow what the path does take. Many paths have a route per
    # method, so the header must name all of them, not just the first route's.
    paths = app.openapi()["paths"]
    templates = {path: re.compile(re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in paths}
    for path in paths:
        url = re.sub(r"\{[^}]+\}", "1", path)
        # /groups/directory is also /groups/{group_id}: Allow names the methods of both.
        declared = {
            method.upper()
            for other, pattern in templates.items()
            if pattern.match(url)
            for method in paths[other]
        }
        refused = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in declared)
        response = client.request(refused, url)
        assert response.status_code == 405, (refused, path)
        assert response.json()["error"] == "method_not_allowed"
        assert set(response.headers["allow"].split(", ")) - {"HEAD"} == declared, path


def test_the_consoles_405_page_says_what_is_allowed(client: TestClient) -> None:
    response = client.delete("/console/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
