"""Run Prism as a local Twilio REST emulator serving Twilio's own OpenAPI description.

Prism (static mode) validates each request against the spec (paths, SIDs, required fields,
enums → 422) and answers with the spec's fixed examples; it keeps no state. The tools come from
``scripts/install-test-tools.sh``; when they are missing the tests must fail, not skip, so
:func:`run_prism` raises :class:`PrismUnavailableError` saying how to install them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.twilio_http import is_loopback_host

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".cache" / "node"
PRISM_BIN = NODE_DIR / "node_modules" / ".bin" / "prism"
TWILIO_SPEC = NODE_DIR / "twilio-oai" / "spec" / "json" / "twilio_api_v2010.json"
FORM = "application/x-www-form-urlencoded"
START_TIMEOUT = 60.0

_LISTENING = re.compile(r"Prism is listening on (https?://\S+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PrismUnavailableError(RuntimeError):
    """Prism or the Twilio spec is not installed, or Prism did not start."""


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local ``#/...`` ``$ref`` pointers (the Twilio spec inlines almost everything)."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
        ref: str = node["$ref"]
        if not ref.startswith("#/"):
            break
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
    return node


def patch_array_form_encoding(spec: dict[str, Any]) -> list[str]:
    """Declare ``style: form, explode: true`` for every array property of every form body.

    Without it Prism rejects repeated form keys (``StatusCallbackEvent=a&StatusCallbackEvent=b``,
    ``MediaUrl``...), which is exactly how Twilio and its SDK send arrays. Changes ``spec`` in
    place and returns ``"METHOD path: Name, ..."`` for each patched operation.
    """
    patched: list[str] = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            body = _resolve(spec, operation["requestBody"])
            media = body.get("content", {}).get(FORM)
            if not isinstance(media, dict):
                continue
            schema = _resolve(spec, media.get("schema", {}))
            names = [
                name
                for name, prop in schema.get("properties", {}).items()
                if _resolve(spec, prop).get("type") == "array"
            ]
            if not names:
                continue
            encoding = media.setdefault("encoding", {})
            for name in names:
                encoding.setdefault(name, {}).update({"style": "form", "explode": True})
            patched.append(f"{method.upper()} {path}: {', '.join(names)}")
    return patched


def write_patched_spec(directory: Path) -> Path:
    """Copy the installed Twilio spec into ``directory`` with array form encodings patched."""
    _require_tools()
    spec = json.loads(TWILIO_SPEC.read_text(encoding="utf-8"))
    patch_array_form_encoding(spec)
    target = directory / TWILIO_SPEC.name
    target.write_text(json.dumps(spec), encoding="utf-8")
    return target


def _require_tools() -> None:
    missing = [str(p) for p in (PRISM_BIN, TWILIO_SPEC) if not p.is_file()]
    if missing:
        raise PrismUnavailableError(
            f"missing {', '.join(missing)}: run `bash scripts/install-test-tools.sh` "
            "(installs Prism and Twilio's OpenAPI spec from the npm registry)"
        )


class _Prism:
    """A running ``prism mock`` process whose output is drained by a thread.

    Prism logs every request on stdout; the pipe must be read continuously or Prism blocks.
    The last lines are kept for error messages.
    """

    def __init__(self, spec_path: Path) -> None:
        env = {**os.environ, "SCARF_ANALYTICS": "false", "NO_COLOR": "1"}
        argv = [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", "0", str(spec_path)]
        self.output: deque[str] = deque(maxlen=400)
        self.url: str | None = None
        self._listening = threading.Event()
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # own process group: stop() ends Prism and any child
        )
        self._reader = threading.Thread(target=self._drain, name="prism-output", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = _ANSI.sub("", raw.rstrip("\n"))
            self.output.append(line)
            match = _LISTENING.search(line)
            if match and self.url is None:
                self.url = match.group(1).rstrip("/")
                self._listening.set()
        self._listening.set()  # EOF: wake wait_listening so it can report the exit

    def wait_listening(self, timeout: float) -> str:
        output_ended = self._listening.wait(timeout)
        if self.url is None:
            if output_ended:  # Prism is exiting: let its exit status arrive
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=5)
            state = (
                f"exited with {self.process.returncode}"
                if self.process.poll() is not None
                else f"not listening after {timeout:.0f}s"
            )
            raise PrismUnavailableError(f"Prism {state}; its output:\n{self.log()}")
        if not is_loopback_host(urlsplit(self.url).hostname):
            raise PrismUnavailableError(f"Prism listens on non-loopback {self.url}")
        return self.url

    def log(self) -> str:
        return "\n".join(self.output)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextlib.contextmanager
def run_prism(timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Start ``prism mock`` on a free loopback port with the patched spec; yield its base URL.

    Static mode only (no ``--dynamic``/``--errors``/``-m``): answers are the spec's examples.
    """
    _require_tools()
    with tempfile.TemporaryDirectory(prefix="supportline-prism-") as tmp:
        spec_path = write_patched_spec(Path(tmp))
        prism = _Prism(spec_path)
        try:
            yield prism.wait_listening(timeout)
        finally:
            prism.stop()
