"""A local stand-in for Tencent Cloud SMS ``SendSms`` (API 3.0): checks what the real one checks.

It verifies TC3-HMAC-SHA256 with its own reading of Tencent's "Signature v3" page - the
signed headers as the ``Authorization`` header lists them, names and values lower-cased,
the derived key chain ``TC3<key>`` → date → service → ``tc3_request`` - not the plugin's
code, so a shared mistake cannot pass. It refuses an unknown SecretId, a timestamp more
than five minutes off and a scope whose date is not the timestamp's, and answers scripted
codes in the ``SendStatusSet``. ``PullSmsSendStatusByPhoneNumber`` lists, as Tencent
does, only the texts the carrier has reported on (``reports``, by ``SessionContext``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.plugins.webhook.gateway import local_server

SECRET_ID, SECRET_KEY = "AKIDTestSecretId0001", "test-tencent-secret-key-0001"
APP_ID = "1400123456"
ACTIONS = ("SendSms", "PullSmsSendStatusByPhoneNumber")


def _error(code: str) -> tuple[int, dict[str, Any]]:
    return 200, {"Response": {"Error": {"Code": code, "Message": "fake"}, "RequestId": "r"}}


def _signature_ok(headers: dict[str, str], body: bytes) -> str | None:
    """None when the request is signed as Tencent documents, else the error code."""
    algorithm, _, rest = headers.get("authorization", "").partition(" ")
    parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
    credential = parts.get("Credential", "").split("/")
    if algorithm != "TC3-HMAC-SHA256" or len(credential) != 4 or credential[3] != "tc3_request":
        return "AuthFailure.InvalidAuthorization"
    secret_id, day, service, _ = credential
    if secret_id != SECRET_ID:
        return "AuthFailure.SecretIdNotFound"
    stamp = int(headers.get("x-tc-timestamp", "0"))
    if abs(time.time() - stamp) > 300:
        return "AuthFailure.SignatureExpire"
    if dt.datetime.fromtimestamp(stamp, dt.UTC).date().isoformat() != day:
        return "AuthFailure.SignatureFailure"
    names = parts.get("SignedHeaders", "").split(";")
    if not {"content-type", "host"} <= set(names):
        return "AuthFailure.SignatureFailure"
    canonical_headers = "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names)
    canonical = "POST\n/\n\n" + canonical_headers + "\n" + ";".join(names) + "\n"
    canonical += hashlib.sha256(body).hexdigest()
    to_sign = (
        f"TC3-HMAC-SHA256\n{stamp}\n{day}/{service}/tc3_request\n"
        + hashlib.sha256(canonical.encode()).hexdigest()
    )
    key = ("TC3" + SECRET_KEY).encode()
    for part in (day, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        None
        if hmac.compare_digest(expected, parts.get("Signature", ""))
        else ("AuthFailure.SignatureFailure")
    )


@dataclass
class FakeTencent:
    url: str = ""
    codes: list[str] = field(default_factory=list)
    """Scripted ``Code`` answers for valid requests, in order; ``Ok`` once they run out;
    ``HTTP503`` answers that status."""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    """Every request that passed the checks and was answered Ok: the texts "sent"."""
    refused: list[str] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    """The ``SerialNo`` of each accepted text, in the order of ``accepted``."""
    reports: dict[str, str] = field(default_factory=dict)
    """``SessionContext`` → ``SUCCESS``/``FAIL``: the carrier's reports a pull lists."""
    pulls: int = 0

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        headers = {k.lower(): v for k, v in headers.items()}
        action = headers.get("x-tc-action")
        if action not in ACTIONS or headers.get("x-tc-version") != "2021-01-11":
            return _error("InvalidAction")
        if (problem := _signature_ok(headers, body)) is not None:
            self.refused.append(problem)
            return _error(problem)
        request = json.loads(body)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self._pull(request)
        if request.get("SmsSdkAppId") != APP_ID:
            return _error("FailedOperation.SmsSdkAppIdNotMatch")
        code = self.codes.pop(0) if self.codes else "Ok"
        if code.startswith("HTTP"):
            return int(code[4:]), {}
        serial = f"2433:{uuid.uuid4().hex[:16]}"
        if code != "Ok":
            self.refused.append(code)
        else:
            self.accepted.append(request)
            self.serials.append(serial)
        status = {
            "SerialNo": serial if code == "Ok" else "",
            "Code": code,
            "SessionContext": request.get("SessionContext", ""),
        }
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}}

    def _pull(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if request.get("SmsSdkAppId") != APP_ID or not request.get("PhoneNumber"):
            return _error("InvalidParameterValue")
        self.pulls += 1
        listed = [
            {"SerialNo": serial, "SessionContext": sent["SessionContext"],
             "ReportStatus": self.reports[sent["SessionContext"]],
             "PhoneNumber": sent["PhoneNumberSet"][0], "Description": "fake"}
            for sent, serial in zip(self.accepted, self.serials, strict=True)
            if sent["PhoneNumberSet"][0] == request["PhoneNumber"]
            and sent["SessionContext"] in self.reports
        ]  # fmt: skip
        return 200, {"Response": {"PullSmsSendStatusSet": listed, "RequestId": "r"}}


@contextmanager
def fake_tencent(*codes: str) -> Iterator[FakeTencent]:
    state = FakeTencent(codes=list(codes))
    with local_server(state.answer) as url:
        state.url = url
        yield state
