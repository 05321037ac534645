"""What every KPI of the reports means, in English and Simplified Chinese: its formula, what it
includes and excludes, and its unit — docs/kpi.md shipped with the package, so a report reader
is one click from the definition of any figure (docs/ is not installed with the package).

Keys are the pack's keys (:mod:`asterisk_cc.core.reports.labels` names them); ``section`` is
the section of docs/kpi.md, which :mod:`asterisk_cc.core.reports.kpi` implements. When a
definition changes, kpi.md, kpi.py and this module change together. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from asterisk_cc.core.reports.labels import check_language, label

__all__ = ["DEFINITIONS", "UNITS", "Definition", "DefinitionText", "definition_text"]


@dataclass(frozen=True)
class Definition:
    section: str
    unit: str
    """A key of :data:`UNITS`."""
    formula: tuple[str, str]
    """(English, Chinese)."""
    scope: tuple[str, str]
    """What is included and excluded (English, Chinese)."""


UNITS: Final[dict[str, tuple[str, str]]] = {
    "count": ("count", "数量"),
    "ratio": ("ratio, shown as a percentage", "比率（以百分比显示）"),
    "seconds": ("seconds, shown as m:ss", "秒（显示为 分:秒）"),
    "score_5": ("score from 1 to 5", "1–5 分"),
    "score_100": ("score from 0 to 100", "0–100 分"),
    "money": ("currency of [reports] currency", "货币（[reports] currency 所设币种）"),
    "agents": ("agents (people)", "坐席人数"),
}

_OFFERED_EN = "answered, abandoned, timed out, exited by key, exited empty, withdrawn"
_OFFERED_ZH = "接通、放弃、排队超时、按键退出、无坐席退出、撤回"

_D = Definition
DEFINITIONS: Final[dict[str, Definition]] = {
    # §1 calls in queues
    "offered": _D(
        "1.1",
        "count",
        ("Calls that entered a queue in the period and ended.", "统计期内进入队列并已结束的呼叫。"),
        (
            f"Includes {_OFFERED_EN}. Excludes calls still waiting and calls lost when "
            "Asterisk restarted. The headline counts calls (an overflowed call once); the "
            "queue table counts visits per queue.",
            f"包括{_OFFERED_ZH}。不含仍在排队的呼叫和 Asterisk 重启时丢失的呼叫。"
            "核心指标按呼叫计（溢出的呼叫只计一次），队列表按各队列的进线计。",
        ),
    ),
    "answered": _D(
        "1.2",
        "count",
        ("Calls connected to an agent (CONNECT).", "接通到坐席（CONNECT）的呼叫。"),
        ("Transferred calls included.", "包括被转接的呼叫。"),
    ),
    "abandoned": _D(
        "1.3",
        "count",
        (
            "Calls whose caller hung up while waiting, after at least the queue's "
            "short-abandon time (default 5 s).",
            "来电者在排队中挂机、且等待不少于队列短时放弃时长（默认 5 秒）的呼叫。",
        ),
        (
            "Timeouts, exits by key, empty-queue exits and withdrawals are not abandons: the "
            "system, not the caller, ended the wait.",
            "排队超时、按键退出、无坐席退出和撤回不算放弃：结束等待的是系统，而非来电者。",
        ),
    ),
    "short_abandoned": _D(
        "1.3",
        "count",
        (
            "Abandoned calls that waited less than the queue's short-abandon time.",
            "等待时长短于队列短时放弃时长的放弃呼叫。",
        ),
        (
            "Misdials and callers who hang up at the greeting; left out of the abandon rate.",
            "拨错号码或听到问候语即挂机的来电者；不计入放弃率。",
        ),
    ),
    "timed_out": _D(
        "1.3",
        "count",
        (
            "Calls that left the queue when its maximum wait ran out (EXITWITHTIMEOUT).",
            "达到队列最长等待时间而离开队列的呼叫（EXITWITHTIMEOUT）。",
        ),
        (
            "Not abandons; a call that times out into another queue is counted there again.",
            "不算放弃；超时后进入另一队列的呼叫在那个队列再计一次。",
        ),
    ),
    "abandon_rate": _D(
        "1.4",
        "ratio",
        ("Abandoned ÷ (offered − short abandons).", "放弃量 ÷（呼入量 − 短时放弃量）。"),
        ("As for offered and abandoned.", "口径同呼入量与放弃量。"),
    ),
    "avg_abandon_wait_s": _D(
        "1.5",
        "seconds",
        ("Mean wait of the abandoned calls.", "放弃呼叫的平均等待时长。"),
        ("Short abandons excluded.", "不含短时放弃。"),
    ),
    "service_level": _D(
        "1.6",
        "ratio",
        (
            "Calls answered within the queue's threshold T (wait ≤ T, default 20 s) ÷ offered.",
            "在队列阈值 T 内接通（等待 ≤ T，默认 20 秒）的呼叫 ÷ 呼入量。",
        ),
        (
            "Every unanswered call counts against. The target is the queues' targets weighted "
            "by their offered calls.",
            "所有未接通的呼叫都计为未达标。目标值为各队列目标按呼入量加权。",
        ),
    ),
    "service_level_answered": _D(
        "1.6",
        "ratio",
        ("Calls answered within T ÷ answered.", "在 T 内接通的呼叫 ÷ 接通量。"),
        ("Ignores unanswered calls.", "不考虑未接通的呼叫。"),
    ),
    "service_level_excl_short": _D(
        "1.6",
        "ratio",
        (
            "Calls answered within T ÷ (offered − short abandons).",
            "在 T 内接通的呼叫 ÷（呼入量 − 短时放弃量）。",
        ),
        ("Short abandons neither for nor against.", "短时放弃既不计入分子也不计入分母。"),
    ),
    "asa_s": _D(
        "1.7",
        "seconds",
        ("Mean wait of the answered calls.", "已接通呼叫的平均等待时长。"),
        ("Unanswered calls excluded.", "不含未接通的呼叫。"),
    ),
    "avg_wait_s": _D(
        "1.8",
        "seconds",
        ("Mean wait of the offered calls.", "呼入呼叫的平均等待时长。"),
        ("Answered and unanswered.", "包括接通与未接通。"),
    ),
    "max_wait_s": _D(
        "1.8",
        "seconds",
        ("Longest wait of an offered call.", "呼入呼叫中最长的等待时长。"),
        ("Answered and unanswered.", "包括接通与未接通。"),
    ),
    "aht_s": _D(
        "1.9",
        "seconds",
        (
            "Mean of talk + hold + wrap-up over handled (answered, ended) calls.",
            "已处理（接通且结束）呼叫的 通话 + 保持 + 话后处理 时长平均值。",
        ),
        (
            "Hold and wrap-up are measured for agents on ARI sessions; for plain phones "
            "Asterisk reports neither, so they add 0.",
            "保持与话后处理时长仅对 ARI 会话坐席有记录；普通话机 Asterisk 不上报，按 0 计。",
        ),
    ),
    "avg_talk_s": _D(
        "1.9",
        "seconds",
        ("Mean talk time of handled calls.", "已处理呼叫的平均通话时长。"),
        (
            "A transferred call's talk time runs until the transfer.",
            "被转接呼叫的通话时长计到转接为止。",
        ),
    ),
    "avg_hold_s": _D(
        "1.9",
        "seconds",
        ("Mean hold time of handled calls.", "已处理呼叫的平均保持时长。"),
        ("0 for agents on plain phones.", "普通话机坐席按 0 计。"),
    ),
    "avg_wrapup_s": _D(
        "1.9",
        "seconds",
        ("Mean wrap-up time of handled calls.", "已处理呼叫的平均话后处理时长。"),
        ("0 for agents on plain phones.", "普通话机坐席按 0 计。"),
    ),
    "transfer_rate": _D(
        "1.10",
        "ratio",
        (
            "Answered calls that ended in a transfer ÷ answered.",
            "以转接结束的接通呼叫 ÷ 接通量。",
        ),
        ("Blind and attended transfers.", "包括盲转与咨询转接。"),
    ),
    "fcr_rate": _D(
        "1.12",
        "ratio",
        (
            "Of the answered calls from identified callers, the share after which the same "
            "number made no other contact within [reports] fcr_window_days (default 7).",
            "已识别来电者的接通呼叫中，同一号码在 [reports] fcr_window_days（默认 7 天）内"
            "未再次联系的占比。",
        ),
        (
            "Anonymous callers excluded; provisional until the window has passed.",
            "不含匿名来电；在观察期结束前为暂定值。",
        ),
    ),
    # §2 agents
    "handled": _D(
        "1.2",
        "count",
        ("Calls the agent answered (visits).", "坐席接通的呼叫（按进线计）。"),
        ("Transferred calls included.", "包括被转接的呼叫。"),
    ),
    "ring_no_answer": _D(
        "2.1",
        "count",
        (
            "Calls offered to the agent that rang out unanswered (RINGNOANSWER).",
            "分配给坐席但振铃未接的次数（RINGNOANSWER）。",
        ),
        ("Each ring attempt counts once.", "每次振铃计一次。"),
    ),
    "staffed_s": _D(
        "2.1",
        "seconds",
        ("Time logged in: every state but logged out.", "在线时长：除签出外的所有状态。"),
        (
            "From the ARI controller's state changes, else from queue_log (ADDMEMBER to "
            "REMOVEMEMBER); split at midnight.",
            "取自 ARI 控制器的状态变化，否则取自 queue_log（ADDMEMBER 至 REMOVEMEMBER）；"
            "跨零点时按日拆分。",
        ),
    ),
    "paused_s": _D(
        "2.1",
        "seconds",
        ("Time in the paused state.", "处于小休状态的时长。"),
        ("Part of staffed time.", "属于在线时长的一部分。"),
    ),
    "occupancy": _D(
        "2.2",
        "ratio",
        (
            "(Talk + hold + wrap-up) ÷ (staffed − paused).",
            "（通话 + 保持 + 话后处理）÷（在线 − 小休）。",
        ),
        ("How busy agents were while available.", "坐席可接听期间的忙碌程度。"),
    ),
    "utilisation": _D(
        "2.3",
        "ratio",
        ("(Talk + hold + wrap-up) ÷ staffed.", "（通话 + 保持 + 话后处理）÷ 在线时长。"),
        ("Pauses count against it.", "小休计为未利用。"),
    ),
    "attendance_rate": _D(
        "2.4",
        "ratio",
        (
            "Scheduled shifts the agent was logged in for by the shift's start + 5 min ÷ "
            "scheduled shifts.",
            "班次开始 5 分钟内已签入的排班班次 ÷ 排班班次。",
        ),
        ("A shift with no log-in is absent.", "整班未签入计为缺勤。"),
    ),
    "cost_per_call": _D(
        "2.5",
        "money",
        (
            "Staffed hours × [reports] cost_per_agent_hour ÷ handled calls (inbound answered "
            "+ outbound connected).",
            "在线小时数 × [reports] cost_per_agent_hour ÷ 处理呼叫数（呼入接通 + 外呼接通）。",
        ),
        ("Not shown when no cost is configured.", "未配置成本时不显示。"),
    ),
    "attrition_rate": _D(
        "2.6",
        "ratio",
        (
            "Agents deactivated in the last 30 days ÷ average headcount of those 30 days.",
            "近 30 天停用的坐席数 ÷ 这 30 天的平均人数。",
        ),
        ("Average headcount = (start + end) ÷ 2.", "平均人数 =（期初 + 期末）÷ 2。"),
    ),
    # §3 quality
    "csat": _D(
        "3.1",
        "score_5",
        ("Mean survey score of the answers in the period.", "统计期内满意度评价的平均分。"),
        ("Every answered survey question counts.", "每个已回答的评价问题都计入。"),
    ),
    "csat_responses": _D(
        "3.1",
        "count",
        ("Survey answers in the period.", "统计期内的满意度评价数。"),
        ("", ""),
    ),
    "avg_score": _D(
        "3.1",
        "score_5",
        ("Mean score of the answers to one question.", "某一问题的评价平均分。"),
        ("", ""),
    ),
    "responses": _D(
        "3.1",
        "count",
        ("Answers to one question.", "某一问题的回复数。"),
        ("", ""),
    ),
    "qa_score": _D(
        "3.2",
        "score_100",
        ("Mean QA evaluation score of the period.", "统计期内质检评分的平均分。"),
        ("Evaluations made in the period.", "按评分日期计入统计期。"),
    ),
    "qa_major_error_rate": _D(
        "3.2",
        "ratio",
        (
            "Evaluations with a critical item failed ÷ evaluations.",
            "出现关键项不合格的质检 ÷ 质检总数。",
        ),
        ("", ""),
    ),
    # §4 IVR, callbacks, complaints
    "ivr_sessions": _D(
        "4.1",
        "count",
        ("IVR sessions started in the period.", "统计期内开始的 IVR 会话。"),
        ("", ""),
    ),
    "ivr_containment": _D(
        "4.1",
        "ratio",
        (
            "Sessions served entirely in the IVR (outcome self_served) ÷ sessions.",
            "完全在 IVR 内自助完成（结果为自助服务完成）的会话 ÷ 会话总数。",
        ),
        (
            "Queued, callback, complaint, voicemail and transferred sessions are not contained.",
            "转人工、预约回电、投诉、留言和转接的会话不算自助解决。",
        ),
    ),
    "entered": _D(
        "4.2",
        "count",
        ("IVR sessions that reached the node.", "到达该节点的 IVR 会话数。"),
        ("A session counts once per node.", "每个会话在每个节点只计一次。"),
    ),
    "left_here": _D(
        "4.2",
        "count",
        (
            "Sessions whose last node it was and whose caller hung up or stopped answering.",
            "以该节点为最后节点、且来电者挂机或不再按键的会话数。",
        ),
        ("", ""),
    ),
    "drop_off_rate": _D(
        "4.2",
        "ratio",
        ("Left here ÷ entered.", "在此离开 ÷ 进入数。"),
        ("", ""),
    ),
    "sessions": _D(
        "4.2",
        "count",
        ("IVR sessions that ended with this outcome.", "以该结果结束的 IVR 会话数。"),
        ("", ""),
    ),
    "share": _D(
        "4.2",
        "ratio",
        ("This row ÷ all rows of the table.", "本行 ÷ 表中所有行。"),
        ("", ""),
    ),
    "callbacks_requested": _D(
        "4.3",
        "count",
        ("Callback requests made in the period.", "统计期内提出的回拨请求。"),
        ("", ""),
    ),
    "callback_fulfilment": _D(
        "4.3",
        "ratio",
        (
            "Requests made in the period that were called back (done) ÷ those requests.",
            "统计期内提出且已完成回拨的请求 ÷ 这些请求。",
        ),
        ("Cancelled requests excluded.", "不含已取消的请求。"),
    ),
    "complaints_received": _D(
        "4.4",
        "count",
        ("Complaints received in the period.", "统计期内受理的投诉。"),
        ("", ""),
    ),
    "complaint_resolution_s": _D(
        "4.4",
        "seconds",
        (
            "Mean (closed − received) of the tickets closed in the period.",
            "统计期内结案工单的（结案时间 − 受理时间）平均值。",
        ),
        ("", ""),
    ),
    "complaint_sla_breaches": _D(
        "4.4",
        "count",
        (
            "Tickets closed in the period after their due time + tickets open at the end of "
            "the period past their due time.",
            "统计期内超过截止时间才结案的工单 + 期末仍未结案且已过截止时间的工单。",
        ),
        ("", ""),
    ),
    "backlog_complaints": _D(
        "4.5",
        "count",
        ("Complaints open at the end of the period.", "期末仍未结案的投诉。"),
        ("", ""),
    ),
    "backlog_callbacks": _D(
        "4.5",
        "count",
        ("Callbacks pending at the end of the period.", "期末仍待处理的回拨。"),
        ("Pending, scheduled or in progress.", "包括待处理、已预约和处理中。"),
    ),
    "under_1d": _D(
        "4.5",
        "count",
        ("Open items under 1 day old.", "账龄不足 1 天的未结事项。"),
        ("Age at the end of the period.", "按期末时的账龄计。"),
    ),
    "d1_to_3": _D(
        "4.5",
        "count",
        ("Open items 1 to 3 days old.", "账龄 1 至 3 天的未结事项。"),
        ("Age at the end of the period.", "按期末时的账龄计。"),
    ),
    "d3_to_7": _D(
        "4.5",
        "count",
        ("Open items 3 to 7 days old.", "账龄 3 至 7 天的未结事项。"),
        ("Age at the end of the period.", "按期末时的账龄计。"),
    ),
    "over_7d": _D(
        "4.5",
        "count",
        ("Open items over 7 days old.", "账龄超过 7 天的未结事项。"),
        ("Age at the end of the period.", "按期末时的账龄计。"),
    ),
    "age_s": _D(
        "4.5",
        "seconds",
        ("Time from receipt to the end of the period.", "从受理到期末的时长。"),
        ("", ""),
    ),
    "attempts": _D(
        "4.3",
        "count",
        ("Call-back attempts made for the request.", "为该请求已进行的回拨次数。"),
        ("", ""),
    ),
    # §5 outbound
    "outbound_attempts": _D(
        "5.1",
        "count",
        ("Outbound attempts started in the period.", "统计期内发起的外呼次数。"),
        ("", ""),
    ),
    "contacts": _D(
        "5.1",
        "count",
        ("Attempts a person answered (outcome human).", "由真人接听（结果为真人）的外呼。"),
        ("Answering machines, busy and no answer excluded.", "不含答录机、忙线和无人接听。"),
    ),
    "contact_rate": _D(
        "5.1",
        "ratio",
        ("Contacts ÷ attempts.", "外呼接通数 ÷ 外呼次数。"),
        ("", ""),
    ),
    "rpc": _D(
        "5.2",
        "count",
        (
            "Contacts put through to an agent whose disposition is not wrong number, "
            "answering machine or no answer by agent.",
            "转给坐席且处理结果不是错号、答录机或坐席未应答的外呼接通。",
        ),
        ("", ""),
    ),
    "rpc_rate": _D(
        "5.2",
        "ratio",
        ("Right-party contacts ÷ contacts.", "本人接通数 ÷ 外呼接通数。"),
        ("", ""),
    ),
    "drops": _D(
        "5.3",
        "count",
        (
            "Live answers abandoned: no agent within 2 seconds.",
            "真人接听后 2 秒内无坐席接入而放弃的呼叫。",
        ),
        ("", ""),
    ),
    "drop_rate": _D(
        "5.3",
        "ratio",
        ("Drops ÷ contacts, over the day.", "弃呼数 ÷ 外呼接通数（按日）。"),
        (
            "The regulatory figure of each campaign (FTC/FCC over 30 days, Ofcom per day) is "
            "the one the dialer paces against.",
            "各外呼活动的监管口径（FTC/FCC 按 30 天，Ofcom 按日）由拨号器控速时使用。",
        ),
    ),
    "conversions": _D(
        "5.5",
        "count",
        ("Attempts with the disposition sale.", "处理结果为成交的外呼。"),
        ("", ""),
    ),
    "conversion_rate": _D(
        "5.5",
        "ratio",
        ("Conversions ÷ right-party contacts.", "成交数 ÷ 本人接通数。"),
        ("", ""),
    ),
    "list_penetration": _D(
        "5.6",
        "ratio",
        (
            "Leads of the campaign dialled at least once ÷ leads of the campaign.",
            "外呼活动中至少拨打过一次的名单 ÷ 该活动的全部名单。",
        ),
        ("", ""),
    ),
    "leads": _D(
        "5.6",
        "count",
        ("Leads in the campaign's list.", "外呼活动名单中的条目数。"),
        ("", ""),
    ),
    "leads_attempted": _D(
        "5.6",
        "count",
        ("Leads dialled at least once.", "至少拨打过一次的名单数。"),
        ("Attempts up to the end of the period.", "截至期末的外呼。"),
    ),
    # staffing forecast (docs/forecast-and-alerts.md)
    "calls": _D(
        "forecast",
        "count",
        ("Calls forecast for the interval.", "该时段的预测呼叫量。"),
        (
            "From the same weekday of past weeks; see the forecast documentation.",
            "依据以往各周同一工作日预测；详见预测说明。",
        ),
    ),
    "required_agents": _D(
        "forecast",
        "agents",
        (
            "Agents needed to meet the queue's service level (Erlang C).",
            "达到队列服务水平所需的坐席数（Erlang C）。",
        ),
        ("", ""),
    ),
    "scheduled_agents": _D(
        "forecast",
        "agents",
        ("Agents on shift in the interval.", "该时段排班的坐席数。"),
        ("", ""),
    ),
    "gap": _D(
        "forecast",
        "agents",
        ("Scheduled − required.", "排班坐席数 − 需求坐席数。"),
        ("Negative means short of agents.", "负数表示人手不足。"),
    ),
}
"""Every KPI by key: the headline's and every numeric column of the pack's tables."""


@dataclass(frozen=True)
class DefinitionText:
    key: str
    name: str
    section: str
    formula: str
    scope: str
    unit: str


def definition_text(key: str, language: str) -> DefinitionText | None:
    """The definition of ``key`` in ``language``, or None for a key that has none."""
    index = check_language(language)
    found = DEFINITIONS.get(key)
    if found is None:
        return None
    return DefinitionText(
        key=key,
        name=label(key, language),
        section=found.section,
        formula=found.formula[index],
        scope=found.scope[index],
        unit=UNITS[found.unit][index],
    )
