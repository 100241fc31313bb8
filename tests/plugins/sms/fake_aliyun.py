"""A local stand-in for Aliyun's dysmsapi ``SendSms``: checks what the real one checks.

It verifies the RPC signature with its own implementation of the documented recipe
(``URLEncoder`` then ``+``→``%20``, ``*``→``%2A``, ``%7E``→``~``; ``POST&%2F&...``; HMAC-SHA1
keyed ``secret&``) - not the plugin's code, so a shared mistake cannot pass - refuses a
``SignatureNonce`` it has seen (``SignatureNonceUsed``, as the provider does for 15
minutes), and answers scripted codes. ``QuerySendDetails`` (pulled delivery reports)
answers from what it accepted, with the statuses a test scripts in ``reports``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from tests.plugins.webhook.gateway import local_server

KEY_ID, KEY_SECRET = "LTAI5tTestKeyId0001", "test-access-key-secret-0001"
REQUIRED = (
    "AccessKeyId", "Action", "PhoneNumbers", "SignName", "SignatureMethod",
    "SignatureNonce", "SignatureVersion", "TemplateCode", "Timestamp", "Version",
)  # fmt: skip


QUERY_REQUIRED = (
    "AccessKeyId", "Action", "PhoneNumber", "SendDate", "PageSize", "CurrentPage",
    "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Version",
)  # fmt: skip


def _encode(text: str) -> str:
    return (
        quote_plus(text, encoding="utf-8")
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~")
    )


def expected_signature(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(
        f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )
    to_sign = "POST&" + _encode("/") + "&" + _encode(canonical)
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class FakeAliyun:
    url: str = ""
    codes: list[str] = field(default_factory=list)
    """Scripted ``Code`` answers for valid requests, in order; ``OK`` once they run out."""
    accepted: list[dict[str, str]] = field(default_factory=list)
    """Every request that passed the checks and was answered OK: the texts "sent"."""
    refused: list[str] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    biz_ids: list[str] = field(default_factory=list)
    """The ``BizId`` of each accepted text, in the order of ``accepted``."""
    reports: dict[str, tuple[int, str]] = field(default_factory=dict)
    """``BizId`` → (``SendStatus``, ``ErrCode``) for queries; 1 (waiting) when absent."""
    queries: list[dict[str, str]] = field(default_factory=list)

    def _checked(
        self, params: dict[str, str], required: tuple[str, ...]
    ) -> tuple[int, dict[str, Any]] | None:
        if any(not params.get(name) for name in required):
            return 400, {"Code": "MissingParameter"}
        if params["AccessKeyId"] != KEY_ID:
            return 404, {"Code": "InvalidAccessKeyId.NotFound"}
        if not hmac.compare_digest(
            expected_signature(params, KEY_SECRET), params.get("Signature", "")
        ):
            return 400, {"Code": "SignatureDoesNotMatch"}
        if params["SignatureNonce"] in self.nonces:
            return 400, {"Code": "SignatureNonceUsed"}
        self.nonces.add(params["SignatureNonce"])
        return None

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if params.get("Action") == "QuerySendDetails":
            return self._query(params)
        if (refusal := self._checked(params, REQUIRED)) is not None:
            return refusal
        code = self.codes.pop(0) if self.codes else "OK"
        if code.startswith("HTTP"):
            return int(code[4:]), {}
        if code != "OK":
            self.refused.append(code)
            return 200, {"Code": code, "Message": "scripted"}
        self.accepted.append(params)
        self.biz_ids.append(f"biz-{uuid.uuid4().hex[:12]}")
        return 200, {"Code": "OK", "BizId": self.biz_ids[-1], "RequestId": "r"}

    def _query(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if (refusal := self._checked(params, QUERY_REQUIRED)) is not None:
            self.refused.append(refusal[1]["Code"])
            return refusal
        if not re.fullmatch(r"\d{8}", params["SendDate"]) or int(params["PageSize"]) > 50:
            return 400, {"Code": "isv.INVALID_PARAMETERS"}
        self.queries.append(params)
        details = [
            {"OutId": sent.get("OutId", ""), "SendStatus": self.reports.get(biz, (1, ""))[0],
             "ErrCode": self.reports.get(biz, (1, ""))[1], "PhoneNum": sent["PhoneNumbers"],
             "Content": "【驰途汽修】...", "TemplateCode": sent["TemplateCode"]}
            for sent, biz in zip(self.accepted, self.biz_ids, strict=True)
            if sent["PhoneNumbers"] == params["PhoneNumber"]
            and params.get("BizId", biz) == biz
        ]  # fmt: skip
        return 200, {"Code": "OK", "TotalCount": len(details),
                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}  # fmt: skip


@contextmanager
def fake_aliyun(*codes: str) -> Iterator[FakeAliyun]:
    state = FakeAliyun(codes=list(codes))

    def answer(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        return state.answer(dict(parse_qsl(body.decode(), keep_blank_values=True)))

    with local_server(answer) as url:
        state.url = url
        yield state
