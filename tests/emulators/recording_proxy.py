"""A recording reverse proxy on loopback, put in front of Prism when the app runs in another
process: the test can then assert on exactly what the app asked Twilio's REST API to do.

Prism answers (and validates) as usual; the proxy only forwards each request and keeps its
method, path and form body.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    status: int


@dataclass
class RecordingProxy:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, entry: Recorded) -> None:
        with self.lock:
            self.requests.append(entry)

    def seen(self) -> list[Recorded]:
        with self.lock:
            return list(self.requests)


def _handler(target: str, proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = httpx.request(
                self.command, target + self.path, content=body, headers=headers, timeout=10
            )
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            proxy.record(Recorded(self.command, self.path, form, answer.status_code))
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            return  # the recording is the log

    return Forward


@contextmanager
def run_recording_proxy(target: str) -> Iterator[RecordingProxy]:
    """Forward ``127.0.0.1:<free port>`` to ``target`` (an emulator on loopback), recording."""
    proxy = RecordingProxy(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(target.rstrip("/"), proxy))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="recording-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
