"""The complaints API's refusals in Chinese (``PluginInfo.messages``, SDK 1.5): its problem
documents read in the reader's language like the core's. tests/plugins/
test_plugin_wording.py fails on a refusal missing here."""

from __future__ import annotations

TITLE = "Complaints (SLA)"
DESCRIPTION = (
    "Complaints graded by severity, routed to the responsible staff, with first-response "
    "and resolution deadlines in business time, escalation to HQ on breach, follow-up "
    "surveys and KPIs."
)
ZH_DESCRIPTION = (
    "按严重程度分级的客诉，分派给负责员工，按营业时间计算首次响应和解决时限，超时升级"
    "至总部，并有回访问卷和指标。"
)

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
    # a move the complaint's status does not allow (workflow.illegal)
    "a complaint cannot go from %(status)s to %(to)s": "投诉不能从“%(status)s”转到“%(to)s”",
    "a %(status)s complaint goes back to work only by reopen":
        "“%(status)s”的投诉只能通过重新打开回到处理中",
    "only a resolved or closed complaint can be reopened, not %(status)s":
        "只有已解决或已关闭的投诉可以重新打开，当前为“%(status)s”",
    "a follow-up survey needs a resolved complaint, not %(status)s":
        "回访问卷需要已解决的投诉，当前为“%(status)s”",
    # the statuses, as they appear in the messages above
    "new": "新登记", "acknowledged": "已受理", "investigating": "调查中",
    "awaiting_customer": "等待客户", "resolved": "已解决", "closed": "已关闭",
    # the plugin as the plugins page names it (PluginInfo.title, .description)
    TITLE: "客诉 SLA",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
