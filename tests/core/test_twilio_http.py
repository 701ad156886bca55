"""``core.twilio_http``'s redirecting client: Twilio's URLs go to the local emulator, and no
request ever leaves loopback (no emulator needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.twilio_http import RedirectingHttpClient, RefusedTargetError


@pytest.fixture
def guarded() -> Iterator[RedirectingHttpClient]:
    """A redirecting client whose transport fails the test if anything is actually sent."""
    http = RedirectingHttpClient("http://127.0.0.1:9", timeout=1.0)
    assert http.session is not None

    def no_send(*_args: object, **_kwargs: object) -> None:
        pytest.fail("a request was sent")

    http.session.send = no_send
    yield http
    http.session.close()


@pytest.mark.parametrize(
    "api_url",
    [
        "https://api.twilio.com",
        "http://example.org:4010",
        "http://10.0.0.1:4010",
        "ftp://127.0.0.1",
    ],
)
def test_non_loopback_api_url_is_refused(api_url: str) -> None:
    with pytest.raises(RefusedTargetError, match="loopback"):
        RedirectingHttpClient(api_url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/2010-04-01/Accounts.json",
        "https://twilio.com.example.org/x",
        "http://api.twilio.com/x",  # only https Twilio URLs are rewritten
        "http://192.168.1.10:4010/x",
    ],
)
def test_non_loopback_target_is_refused_before_sending(
    guarded: RedirectingHttpClient, url: str
) -> None:
    with pytest.raises(RefusedTargetError, match="loopback"):
        guarded.request("GET", url)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://api.twilio.com/2010-04-01/Accounts.json", "/2010-04-01/Accounts.json"),
        ("https://api.dublin.ie1.twilio.com/a?b=c", "/a?b=c"),
        ("https://TWILIO.com/x", "/x"),
    ],
)
def test_twilio_urls_are_rewritten(url: str, target: str) -> None:
    for base in ("http://127.0.0.1:4010", "http://localhost:4010/", "http://[::1]:4010"):
        http = RedirectingHttpClient(base)
        assert http.target_url(url) == base.rstrip("/") + target
        assert http.target_url("http://127.0.0.2:5/y") == "http://127.0.0.2:5/y"
        assert http.session is not None
        http.session.close()


def test_without_api_url_urls_are_untouched() -> None:
    http = RedirectingHttpClient(None)
    assert http.target_url("https://api.twilio.com/x") == "https://api.twilio.com/x"
    assert http.session is not None
    http.session.close()
