"""The Webhook channel plugin's own words in Chinese (``PluginInfo.messages``, SDK 1.5): its name
and description on the console's plugins page read in the reader's language."""

from __future__ import annotations

TITLE = "Webhook channel"
DESCRIPTION = (
    "Delivers customer and staff messages as signed HTTP POSTs to a gateway the tenant "
    "runs (HMAC-SHA256, retries with backoff, replay window)."
)
ZH_DESCRIPTION = (
    "以签名的 HTTP POST 把客户和员工消息投递到租户自己的网关（HMAC-S"
    "HA256，退避重试，防重放时间窗）。"
)

ZH_CN = {
    TITLE: "Webhook 通道",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
