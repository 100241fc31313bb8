"""The trade-in API's refusals in Chinese (``PluginInfo.messages``, SDK 1.5): its problem
documents read in the reader's language like the core's; a stage or status in a message is
worded too. tests/plugins/test_plugin_wording.py fails on a refusal missing here."""

from __future__ import annotations

TITLE = "Trade-in"
DESCRIPTION = (
    "Trade-in candidates scored nightly from service history, appraisals with an "
    "odometer-rollback check and a valuation whose every factor is shown, offers with "
    "approval thresholds and expiry, and a stage machine to the car sold."
)
ZH_DESCRIPTION = (
    "每晚依据维修记录为换购候选客户评分；评估时检查里程表回调，估价逐项列出依据；报价"
    "设审批门槛和有效期，按阶段推进直至车辆售出。"
)

ZH_CN = {
    "%(n)s given twice": "%(n)s 重复出现",
    "a lead at stage %(stage)s cannot move to %(to)s; allowed: %(values)s":
        "处于“%(stage)s”阶段的线索不能转到“%(to)s”；可转到：%(values)s",
    "an offer on this lead awaits approval": "这条线索有一个报价正在等待审批",
    "appraise the car before making an offer": "请先评估车辆再报价",
    "below the %(n)s km the shop recorded: odometer rollback suspected; confirm with "
    "confirm_odometer and odometer_reason":
        "低于门店记录的 %(n)s 公里：疑似调表；请用 confirm_odometer 和 odometer_reason 确认",
    "below the km the shop recorded: tick the confirmation and give the reason":
        "低于门店记录的里程：请勾选确认并填写原因",
    "is approve or reject": "只能是批准或驳回",
    "must be an amount such as 120 or 120.50": "须为金额，例如 120 或 120.50",
    "must be before to": "须早于结束时间",
    "needs a time zone, e.g. 2026-11-01T00:00:00+08:00":
        "须带时区，例如 2026-11-01T00:00:00+08:00",
    "no open offer to answer": "没有待答复的报价",
    "no such appraisal": "没有这条评估",
    "no such offer on this lead": "这条线索没有这个报价",
    "no such store of yours": "没有这个门店（或不在您的门店范围内）",
    "no such trade-in lead": "没有这条置换线索",
    "one of %(values)s": "须为以下之一：%(values)s",
    "required with a hand-entered book_value": "手动填写 book_value 时必填",
    "the car is not bought (stage %(stage)s)": "车辆尚未收购（当前阶段：%(stage)s）",
    "the offer is %(status)s, not awaiting approval": "报价状态为“%(status)s”，不在待审批中",
    "the offer is %(status)s, not open for an answer": "报价状态为“%(status)s”，不能答复",
    "the price table has no row for this make, model and year: enter it":
        "价格表中没有该品牌、车型和年份：请手动填写",
    "the vehicle has neither a purchase date nor a year": "车辆既没有购买日期也没有年份",
    # the stages and an offer's statuses, as they appear in the messages above
    "lead": "线索", "appraised": "已评估", "offered": "已报价", "accepted": "已接受",
    "declined": "已拒绝", "expired": "报价过期", "purchased": "已收购",
    "reconditioned": "已整备", "sold": "已售出", "lost": "已流失", "none": "无",
    "awaiting_approval": "待审批", "rejected": "已驳回",
    # the plugin as the plugins page names it (PluginInfo.title, .description)
    TITLE: "换购",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
