"""The survey as a page a customer opens on a phone: the form, the thanks, and a kind word
for a link that cannot be answered (invalid, expired, used, opened too often).

Chinese unless the link asks for ``?lang=en``. The page runs no script at all and its one
stylesheet is inline, pinned in the Content-Security-Policy by its SHA-256, so the page
needs no second request (which would count against the link's 20 openings an hour) and
nothing injected can style or script it. ``Referrer-Policy: no-referrer`` keeps the token
in the URL from leaking to any site the page might link to; nothing is cached.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Response

HERE = Path(__file__).parent / "templates"
CSS = (HERE / "survey.css").read_text(encoding="utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Vary": "Accept",
}
_ENV = Environment(
    loader=FileSystemLoader(HERE),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "服务评价",
        "intro": "感谢您光临{store}。请用一分钟告诉我们这次服务怎么样。",
        "nps": "您有多大可能向亲友推荐我们？",
        "nps_scale": "0 = 完全不可能，10 = 非常可能",
        "csi": "您对本次服务满意吗？（选填）",
        "csi_scale": "1 = 很不满意，5 = 非常满意",
        "comment": "还有什么想告诉我们的吗？（选填）",
        "submit": "提交评价",
        "other_language": "English",
        "thanks": "感谢您的评价",
        "thanks_text": "您的意见已经收到，我们会认真对待。",
        "thanks_low": "很抱歉这次没有让您满意，门店会尽快与您联系。",
        "need_score": "请至少选择一项评分。",
        "bad_nps": "请选择 0 到 10 之间的分数。",
        "bad_csi": "请选择 1 到 5 之间的分数。",
        "bad_comment": "留言请不要超过 2000 字。",
        "invalid": "链接无法打开",
        "invalid_text": "请确认链接完整无误；如有疑问，请直接联系门店。",
        "expired": "链接已过期",
        "expired_text": "这条评价链接已经过期。如果您有意见或建议，欢迎直接联系门店。",
        "used": "您已经评价过了",
        "used_text": "这次服务已经收到您的评价，每条链接只能提交一次。谢谢！",
        "busy": "访问过于频繁",
        "busy_text": "这条链接刚才被打开太多次，请一小时后再试。",
        "error": "出了点问题",
        "error_text": "页面暂时无法显示，请稍后再试。",
    },
    "en": {
        "title": "How did we do?",
        "intro": "Thank you for visiting {store}. Please take a minute to tell us about it.",
        "nps": "How likely are you to recommend us to a friend?",
        "nps_scale": "0 = not at all, 10 = extremely likely",
        "csi": "How satisfied are you with this service? (optional)",
        "csi_scale": "1 = very dissatisfied, 5 = very satisfied",
        "comment": "Anything else you would like to tell us? (optional)",
        "submit": "Send",
        "other_language": "中文",
        "thanks": "Thank you",
        "thanks_text": "We have your answer and we will take it to heart.",
        "thanks_low": "We are sorry we let you down; the store will call you soon.",
        "need_score": "Please choose at least one score.",
        "bad_nps": "Please choose a score from 0 to 10.",
        "bad_csi": "Please choose a score from 1 to 5.",
        "bad_comment": "Please keep the comment under 2000 characters.",
        "invalid": "This link cannot be opened",
        "invalid_text": "Please check the link is complete, or contact the store.",
        "expired": "This link has expired",
        "expired_text": "This survey link has expired. You are welcome to contact the store.",
        "used": "You have already answered",
        "used_text": "We already have your answer for this service; a link takes one. Thank you!",
        "busy": "Opened too often",
        "busy_text": "This link was opened too many times just now; please try in an hour.",
        "error": "Something went wrong",
        "error_text": "The page cannot be shown right now; please try again later.",
    },
}
NOTES = {404: "invalid", 410: "expired", 409: "used", 429: "busy"}
"""The page shown for an error status; any other is ``error``."""


def language(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def _page(template: str, status: int, lang: str, **context: Any) -> Response[Any]:
    body = _ENV.get_template(template).render(t=TEXT[lang], lang=lang, css=CSS, **context)
    headers = dict(HEADERS)
    if status == 429:
        headers["Retry-After"] = "3600"
    page: Response[Any] = Response(
        content=body, media_type=MediaType.HTML, status_code=status, headers=headers
    )
    return page


def form_page(
    lang: str,
    store_name: str,
    action: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    chosen: dict[str, Any] | None = None,
) -> Response[Any]:
    """The questions; after a refused answer, with each bad field's message and the
    customer's choices kept."""
    t = TEXT[lang]
    return _page(
        "survey_form.html",
        status,
        lang,
        intro=t["intro"].format(store=store_name),
        action=action,
        errors={k: t[v] for k, v in (errors or {}).items()},
        chosen=chosen or {},
    )


def thanks_page(lang: str, low: bool) -> Response[Any]:
    return _page("survey_note.html", 200, lang, note="thanks", low=low)


def note_page(lang: str, status: int) -> Response[Any]:
    """The kind word for a link that cannot be answered, with the status that says why."""
    return _page("survey_note.html", status, lang, note=NOTES.get(status, "error"), low=False)
