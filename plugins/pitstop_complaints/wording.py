"""The complaints API's refusals in Chinese (``PluginInfo.messages``, SDK 1.5): its problem
documents read in the reader's language like the core's. tests/plugins/
test_plugin_wording.py fails on a refusal missing here."""

from __future__ import annotations

ZH_CN = {
    "must be before to": "须早于结束时间",
    "must be one of %(values)s": "须为以下之一：%(values)s",
    "needs a time zone, e.g. 2026-11-01T00:00:00+08:00":
        "须带时区，例如 2026-11-01T00:00:00+08:00",
    "no such active staff member at this store": "该门店没有这名在职员工",
    "no such complaint": "没有这条投诉",
    "no such notification of yours": "没有您的这条通知",
    "no such service order of this customer": "该客户没有这张工单",
    "no such store in this tenant": "本租户没有这个门店",
    "no such store of yours": "没有这个门店（或不在您的门店范围内）",
    "the complaint is being changed by someone else; retry": "这条投诉正被他人修改，请重试",
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
