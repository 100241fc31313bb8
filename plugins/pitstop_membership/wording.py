"""The membership API's refusals in Chinese (``PluginInfo.messages``, SDK 1.5): its problem
documents read in the reader's language like the core's, and so does a voucher refused at
an order through the core's voucher route (the host hands the refusal these words); a
voucher's status in a message is worded too. tests/plugins/test_plugin_wording.py fails on
a refusal missing here."""

from __future__ import annotations

TITLE = "Membership & points"
DESCRIPTION = (
    "Tiers on rolling spend, points in lots that expire, clawback on refunds, and a per-"
    "store liability report with the cross-store redemptions HQ settles."
)
ZH_DESCRIPTION = (
    "按滚动消费定级，积分分批到期，退款时扣回，并按门店出具积分负债报表及总部结算的跨店兑换。"
)

ZH_CN = {
    "a voucher that is %(status)s cannot be voided": "状态为“%(status)s”的券不能作废",
    "an override needs an end date": "手动调整等级须有结束日期",
    "differs from the order's store": "与工单所在门店不同",
    "is in the past": "不能是过去的时间",
    "must be 1 to %(n)s characters": "须为 1 到 %(n)s 个字符",
    "must not be zero": "不能为零",
    "no such tier in this programme": "本会员计划没有这个等级",
    "no such voucher": "没有这张券",
    "no such voucher template": "没有这个券模板",
    "not one of %(values)s": "不是以下之一：%(values)s",
    "only %(n)s points can be spent now": "目前只能使用 %(n)s 积分",
    "required for staff of several stores": "在多个门店工作的员工必填",
    "the member holds only %(n)s points": "会员只有 %(n)s 积分",
    "the order is another customer's": "该工单属于其他客户",
    "the same Idempotency-Key is in flight": "相同的 Idempotency-Key 正在处理中",
    "the shop itself": "即本店",
    "this Idempotency-Key was used with a different request":
        "这个 Idempotency-Key 已用于另一个不同的请求",
    "this customer is not a member": "该客户不是会员",
    # a voucher refused at an order (redeem_code, through the core's voucher route)
    "this voucher is already on this order": "这张券已用在这张工单上",
    "this voucher is %(status)s": "这张券%(status)s",
    "this voucher is not valid yet": "这张券尚未生效",
    "this voucher belongs to another customer": "这张券属于其他客户",
    "this voucher cannot be used at this store": "这张券不能在本门店使用",
    "the order must come to at least %(n)s fen": "工单金额须至少 %(n)s 分",
    "no line of this order is one the voucher applies to": "这张工单没有适用这张券的项目",
    "this voucher was just used on another order": "这张券刚刚已用在另一张工单上",
    # a voucher template's rules between fields (voucher_schemas.template_errors)
    "required for a %(kind)s voucher": "%(kind)s券必须填写",
    "not used by a %(kind)s voucher": "%(kind)s券不使用这一项",
    "unknown categories: %(values)s; known: %(known)s": "未知的类别：%(values)s；可用：%(known)s",
    "a category is named twice": "同一类别填了两次",
    "give either valid_days or valid_until": "valid_days 与 valid_until 须填且只填一个",
    "a store is named twice": "同一门店填了两次",
    # a voucher template's kinds, as they appear in the messages above
    "amount": "满减", "percent": "折扣", "item": "项目",
    # a voucher's statuses, as they appear in the messages above
    "issued": "已发放", "redeemed": "已使用", "expired": "已过期", "voided": "已作废",
    # the plugin as the plugins page names it (PluginInfo.title, .description)
    TITLE: "会员与积分",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
