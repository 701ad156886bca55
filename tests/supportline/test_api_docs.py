"""The API's documentation pages load everything from this server (the browser suite opens them
with every other host blocked)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

LOADED = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_a_documentation_page_loads_its_scripts_and_styles_from_this_server(
    client: TestClient, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    loaded = LOADED.findall(page.text)
    assert any(url.endswith(".js") for url in loaded), loaded
    for url in loaded:
        assert url.startswith("/docs/assets/"), url
        assert client.get(url).status_code == 200, url
    assert "googleapis" not in page.text and "cdn." not in page.text


def test_redoc_shows_no_image_from_another_host(client: TestClient) -> None:
    # Its menu's logo comes from its maker's CDN; it hides itself when it cannot be loaded.
    assert client.get("/redoc").headers["content-security-policy"] == "img-src 'self' data:"


def test_the_swagger_ui_sign_in_comes_back_to_this_server(client: TestClient) -> None:
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in (
        client.get("/docs").text
    )
    assert client.get("/docs/oauth2-redirect").status_code == 200
