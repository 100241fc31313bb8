"""The HTTP server under ``pitstop serve``: uvicorn on h11, with honest answers to huge heads.

uvicorn buffers at most ``h11_max_incomplete_event_size`` bytes of request line and
headers; past that h11 gives up, and uvicorn answers a bare 400 and closes the socket at
once. With the client still sending (a 200 KB header), closing with unread data makes the
kernel send a reset, so the client sees "connection reset" instead of any answer. Here
the answer is what HTTP says it is - 414 when the request line alone is too long, 431 when
the headers are - as problem+json, and the connection closes gracefully: our side is shut
for writing and what the client still sends is read and dropped (briefly, and up to a cap)
so the answer is not lost.

It also announces, after the socket is bound, the address it listens on: a test or an
orchestrator waits for that line instead of guessing when the port is open.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import structlog
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_REQUEST_HEAD = 32 * 1024
"""Request line plus headers; a bearer token is under 1 KB, a sane URL under 8 KB."""
LINGER_SECONDS = 5.0
LINGER_BYTES = 4 * 1024 * 1024
"""How long and how much of a refused request is read and dropped before closing."""

log = structlog.get_logger("pitstop.serve")


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering 414/431 instead of a reset for oversized heads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._draining: int | None = None

    def data_received(self, data: bytes) -> None:
        if self._draining is None:
            super().data_received(data)
            return
        self._draining += len(data)
        if self._draining > LINGER_BYTES:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        pending, _ = self.conn.trailing_data
        if len(pending) <= MAX_REQUEST_HEAD:
            super().send_400_response(msg)
            return
        line_ends = pending.find(b"\n")
        if line_ends == -1 or line_ends > MAX_REQUEST_HEAD:
            self._refuse(414, "URI too long", "uri_too_long", "the request line")
        else:
            self._refuse(431, "Request header fields too large", "headers_too_large", "headers")

    def _refuse(self, status: int, title: str, code: str, what: str) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": title,
                "status": status,
                "detail": f"{what} exceed {MAX_REQUEST_HEAD} bytes",
                "code": code,
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=title.encode()),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self._draining = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


class _AnnouncingServer(uvicorn.Server):
    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.servers and self.servers[0].sockets:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            log.info("listening", address=f"http://{host}:{port}")


def serve_http(app: Any, host: str, port: int, **options: Any) -> None:
    """Run ``app`` until stopped; ``port`` 0 picks a free one (the ``listening`` line says)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        # uvicorn's loggers reach the root handler of configure_logging, whose tracebacks
        # hide the values bound into failed SQL, instead of uvicorn's own formatter.
        log_config=None,
        http=BoundedH11Protocol,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
        **options,
    )
    _AnnouncingServer(config).run()
