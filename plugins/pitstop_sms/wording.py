"""The SMS plugin's own words in Chinese (``PluginInfo.messages``, SDK 1.5): its name and
description on the console's plugins page read in the reader's language."""

from __future__ import annotations

TITLE = "SMS (Aliyun / Tencent Cloud)"
DESCRIPTION = (
    "Sends customer messages as SMS through Aliyun SMS or Tencent Cloud SMS (signed "
    "requests, approved templates and sign name) and records delivery reports."
)
ZH_DESCRIPTION = (
    "通过阿里云短信或腾讯云短信向客户发送短信（签名请求、已审核的模板和签名），并记录送达回执。"
)

ZH_CN = {
    TITLE: "短信（阿里云 / 腾讯云）",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
