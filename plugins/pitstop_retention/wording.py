"""The retention API's refusals in Chinese (``PluginInfo.messages``, SDK 1.5): its problem
documents read in the reader's language like the core's. tests/plugins/
test_plugin_wording.py fails on a refusal missing here."""

from __future__ import annotations

TITLE = "Retention"
DESCRIPTION = (
    "Service-due reminders projected from each car's own mileage, churn and dormancy "
    "warnings, recall worklists and post-service follow-up with CSI/NPS."
)
ZH_DESCRIPTION = (
    "按每辆车自身里程推算的保养到期提醒、流失和沉睡预警、召回工作清单，以及带 CSI"
    "/NPS 的服务后回访。"
)

ZH_CN = {
    "a whole number": "须为整数",
    "at most %(weeks)s weeks at a time": "一次最多 %(weeks)s 周",
    "days, 1d to 365d (e.g. 30d)": "天数，1d 到 365d（例如 30d）",
    "give csi, nps or both": "请填写 csi、nps 或两者",
    "must be before to": "须早于结束时间",
    "must be on or before to": "须不晚于结束日期",
    "needs a time zone": "须带时区",
    "needs a time zone, e.g. 2026-11-01T00:00:00+08:00":
        "须带时区，例如 2026-11-01T00:00:00+08:00",
    "no such retention task": "没有这个回访任务",
    "no such store of yours": "没有这个门店（或不在您的门店范围内）",
    "no such survey": "没有这份问卷",
    "one of %(values)s": "须为以下之一：%(values)s",
    "only with outcome no_answer": "仅在结果为 no_answer 时可填",
    "this store has no interval of its own": "这个门店没有自己的保养间隔",
    "this survey was answered already": "这份问卷已经回答过了",
    "this task is closed": "这个任务已关闭",
    # the plugin as the plugins page names it (PluginInfo.title, .description)
    TITLE: "客户保持",
    DESCRIPTION: ZH_DESCRIPTION,
}  # fmt: skip
MESSAGES = {"zh_CN": ZH_CN}
