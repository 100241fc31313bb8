"""A local HTTP gateway for the webhook tests: records requests, answers as scripted."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Gateway:
    url: str
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """Scripted (status, JSON) answers, in order; 200 ``{}`` once they run out."""
    received: list[Received] = field(default_factory=list)


Answer = Callable[[dict[str, str], bytes], tuple[int, dict[str, Any]]]


@contextmanager
def local_server(answer: Answer, path: str = "/") -> Iterator[str]:
    """A local HTTP server whose POSTs ``answer(headers, body)`` gives (status, JSON) for;
    yields its URL. Bound before the test goes on: ready without waiting."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status, payload = answer(dict(self.headers.items()), body)
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def gateway(*answers: tuple[int, dict[str, Any]]) -> Iterator[Gateway]:
    state = Gateway(url="", answers=list(answers))

    def answer(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        state.received.append(Received(headers, body))
        return state.answers.pop(0) if state.answers else (200, {})

    with local_server(answer, "/hook") as url:
        state.url = url
        yield state
