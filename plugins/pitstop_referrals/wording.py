"""The referrals API's refusals in Chinese (``PluginInfo.messages``, SDK 1.5): its problem
documents read in the reader's language like the core's; a referral's status in a message
is worded too. tests/plugins/test_plugin_wording.py fails on a refusal missing here."""

from __future__ import annotations

TITLE = "Referrals"
DESCRIPTION = (
    "Referral codes, two-sided rewards after the referee's first paid service passes its "
    "return window, fraud signals from the shop's own records, a review queue and funnel "
    "KPIs."
)
ZH_DESCRIPTION = (
    "推荐码；被推荐人首次付费服务过了退货期后双方得奖励；依据门店自有记录识别作弊信号"
    "，设审核队列和漏斗指标。"
)

ZH_CN = {
    "approve or reject": "只能是批准或驳回",
    "is %(status)s, not review": "状态为“%(status)s”，不在审核中",
    "must be before to": "须早于结束时间",
    "needs a time zone, e.g. 2026-11-01T00:00:00+08:00":
        "须带时区，例如 2026-11-01T00:00:00+08:00",
    "no such referral": "没有这条推荐",
    "no such referral code": "没有这个推荐码",
    "no such store of yours": "没有这个门店（或不在您的门店范围内）",
    "one of %(values)s": "须为以下之一：%(values)s",
    # linking a new customer to a code (linking.refused)
    "the code has expired": "推荐码已过期",
    "no such customer": "没有这个客户",
    "a customer cannot refer themselves": "客户不能推荐自己",
    "already has a referral": "已有推荐关系",
    "not a new customer": "不是新客户",
    # a referral's statuses, as they appear in the messages above
    "pending": "待满足条件", "qualified": "已达成", "rewarded": "已奖励",
    "rejected": "已驳回", "disqualified": "不符合条件", "review": "审核中",
    # the plugin as the plugins page names it (PluginInfo.title, .description)
    TITLE: "推荐有礼",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
