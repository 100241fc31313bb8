"""The WeCom plugin's own words in Chinese (``PluginInfo.messages``, SDK 1.5): its name
and description on the console's plugins page read in the reader's language."""

from __future__ import annotations

TITLE = "WeCom"
DESCRIPTION = (
    "Posts staff notices to a WeCom group chat through its group robot, and sends "
    "customer messages to WeCom external contacts through the corporate app."
)
ZH_DESCRIPTION = (
    "通过群机器人向企业微信群发布员工通知，并通过企业应用向企业微信外部联系人发送客户消息。"
)

ZH_CN = {
    TITLE: "企业微信",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
