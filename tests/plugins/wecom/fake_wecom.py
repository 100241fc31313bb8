"""A local fake of the WeCom server API: ``gettoken`` checks the corp id and secret and
issues tokens; ``externalcontact/add_msg_template`` refuses any token it did not issue (or
has revoked) and records what it was asked to send, answering scripted ``errcode``s."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CORP_ID = "ww0123456789abcdef"
SECRET = "contact-secret-0001"


@dataclass
class FakeWecom:
    url: str = ""
    script: list[dict[str, Any]] = field(default_factory=list)
    """Answers to the next sends (``{"errcode": 45009}``...); a plain success after."""
    tokens_issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Accepted sends' payloads."""

    def token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != CORP_ID:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != SECRET:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = f"token-{len(self.tokens_issued) + 1}"
        self.tokens_issued.append(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def send(self, query: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        token = query.get("access_token", "")
        if token not in self.tokens_issued or token in self.revoked:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if self.script:
            return self.script.pop(0)
        if payload.get("chat_type") != "single" or not payload.get("text", {}).get("content"):
            return {"errcode": 41001, "errmsg": "missing parameter"}
        self.sent.append(payload)
        return {"errcode": 0, "errmsg": "ok", "fail_list": [], "msgid": f"msg{len(self.sent)}"}


@contextmanager
def fake_wecom() -> Iterator[FakeWecom]:
    fake, lock = FakeWecom(), threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, payload: dict[str, Any]) -> None:
            encoded = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def _query(self) -> tuple[str, dict[str, str]]:
            parts = urlsplit(self.path)
            return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}

        def do_GET(self) -> None:
            path, query = self._query()
            with lock:
                found = fake.token(query) if path == "/cgi-bin/gettoken" else {"errcode": 404}
            self._answer(found)

        def do_POST(self) -> None:
            path, query = self._query()
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            with lock:
                if path == "/cgi-bin/externalcontact/add_msg_template":
                    found = fake.send(query, body)
                else:
                    found = {"errcode": 404}
            self._answer(found)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


TOKEN = "QDG6eK"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")
"""An EncodingAESKey: 43 Base64 characters."""


def sealed_callback(
    xml: str, *, corp_id: str = CORP_ID, token: str = TOKEN, nonce: str = "1372623149"
) -> tuple[dict[str, str], bytes]:
    """A callback as WeCom sends it - its query and its XML body - written here from WeCom's
    documentation, not from the plugin: AES-256-CBC under the EncodingAESKey (IV its first
    16 bytes), PKCS#7 to 32 bytes, SHA-1 over the sorted token, timestamp, nonce, text."""
    key = base64.b64decode(AES_KEY + "=")
    message = xml.encode()
    plain = os.urandom(16) + len(message).to_bytes(4, "big") + message + corp_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    timestamp = "1772416800"
    digest = hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode())
    query = {"msg_signature": digest.hexdigest(), "timestamp": timestamp, "nonce": nonce}
    body = f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
    body += f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"
    return query | {"encrypted": encrypted}, body.encode()


def contact_event(change: str, external: str, state: str = "") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]>"
        "</FromUserName><CreateTime>1772416800</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        f"<ChangeType><![CDATA[{change}]]></ChangeType><UserID><![CDATA[advisor01]]></UserID>"
        f"<ExternalUserID><![CDATA[{external}]]></ExternalUserID>"
        f"<State><![CDATA[{state}]]></State></xml>"
    )
