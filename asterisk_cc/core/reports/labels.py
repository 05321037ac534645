"""The words and number formats of the daily pack, in English and Simplified Chinese.

The pack (:mod:`asterisk_cc.core.reports.pack`) carries keys and raw numbers; every renderer
(HTML, PDF, spreadsheet, mail) shows them through this module, so that "service level" reads
the same everywhere and a number missing for lack of data reads "–", never 0.

The Chinese terms are the usual call-centre ones (服务水平, 平均应答速度, 放弃率, 平均处理时长,
首次解决率, 占用率 ...). A key without a label is shown as the key itself rather than failing a
report at six in the morning; the tests check that every key the pack uses has both languages.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from asterisk_cc.core.reports.pack import Headline, Rag, Unit

__all__ = [
    "CODE_KEYS",
    "COLUMN_KEYS",
    "HEADLINE_KEYS",
    "LABELS",
    "LANGUAGES",
    "MISSING",
    "TABLE_KEYS",
    "WORD_KEYS",
    "HeadlineText",
    "check_language",
    "format_change",
    "format_target",
    "format_value",
    "headline_text",
    "label",
    "page_label",
    "rag_label",
]

LANGUAGES: Final = ("en", "zh")

MISSING: Final = "–"
"""What a value that cannot be computed shows as (an en dash, never 0)."""

# key -> (English, Simplified Chinese)
_HEADLINE: Final[dict[str, tuple[str, str]]] = {
    "offered": ("Offered", "呼入量"),
    "answered": ("Answered", "接通量"),
    "abandoned": ("Abandoned", "放弃量"),
    "short_abandoned": ("Short abandons", "短时放弃量"),
    "timed_out": ("Timed out", "排队超时量"),
    "abandon_rate": ("Abandon rate", "放弃率"),
    "avg_abandon_wait_s": ("Avg wait before abandon", "平均放弃前等待时长"),
    "service_level": ("Service level", "服务水平"),
    "service_level_answered": ("Service level (of answered)", "服务水平（按接通计）"),
    "service_level_excl_short": (
        "Service level (excl. short abandons)",
        "服务水平（剔除短时放弃）",
    ),
    "asa_s": ("ASA (avg speed of answer)", "平均应答速度"),
    "avg_wait_s": ("Avg wait", "平均等待时长"),
    "max_wait_s": ("Longest wait", "最长等待时长"),
    "aht_s": ("AHT (avg handling time)", "平均处理时长"),
    "avg_talk_s": ("Avg talk", "平均通话时长"),
    "avg_hold_s": ("Avg hold", "平均保持时长"),
    "avg_wrapup_s": ("Avg wrap-up", "平均话后处理时长"),
    "transfer_rate": ("Transfer rate", "转接率"),
    "fcr_rate": ("First-contact resolution", "首次解决率"),
    "occupancy": ("Occupancy", "占用率"),
    "utilisation": ("Utilisation", "利用率"),
    "attendance_rate": ("Attendance", "出勤率"),
    "cost_per_call": ("Cost per call", "单呼成本"),
    "csat": ("CSAT (1–5)", "客户满意度（1–5）"),
    "csat_responses": ("Survey responses", "满意度评价数"),
    "qa_score": ("QA score", "质检得分"),
    "qa_major_error_rate": ("QA major error rate", "质检重大差错率"),
    "ivr_sessions": ("IVR sessions", "IVR 呼入量"),
    "ivr_containment": ("IVR containment", "IVR 自助解决率"),
    "callback_fulfilment": ("Callbacks fulfilled", "回拨完成率"),
    "callbacks_requested": ("Callbacks requested", "回拨请求数"),
    "complaints_received": ("Complaints received", "投诉受理量"),
    "complaint_resolution_s": ("Avg complaint resolution time", "投诉平均处理时长"),
    "complaint_sla_breaches": ("Complaints past due", "投诉超时数"),
    "backlog_complaints": ("Open complaints", "积压投诉"),
    "backlog_callbacks": ("Open callbacks", "积压回拨"),
    "attrition_rate": ("Attrition", "人员流失率"),
    "outbound_attempts": ("Outbound attempts", "外呼次数"),
    "contacts": ("Contacts", "外呼接通数"),
    "contact_rate": ("Contact rate", "外呼接通率"),
    "rpc": ("Right-party contacts", "本人接通数"),
    "rpc_rate": ("Right-party contact rate", "本人接通率"),
    "drops": ("Drops", "弃呼数"),
    "drop_rate": ("Drop rate", "弃呼率"),
    "conversions": ("Conversions", "成交数"),
    "conversion_rate": ("Conversion rate", "成交率"),
    "list_penetration": ("List penetration", "名单渗透率"),
}

_TABLES: Final[dict[str, tuple[str, str]]] = {
    "queues": ("Queues", "队列"),
    "agents": ("Agents", "坐席"),
    "teams": ("Teams", "班组"),
    "tiers": ("Customer tiers", "客户等级"),
    "ivr_funnel": ("IVR funnel", "IVR 漏斗"),
    "ivr_outcomes": ("IVR outcomes", "IVR 结果"),
    "campaigns": ("Outbound campaigns", "外呼活动"),
    "complaints_due": ("Complaints due", "到期投诉"),
    "callbacks_due": ("Callbacks due", "到期回拨"),
    "backlog": ("Backlog by age", "积压账龄"),
    "surveys": ("Satisfaction surveys", "满意度调查"),
    "staffing": ("Staffing (Erlang C)", "人力需求（Erlang C）"),
    "intervals": ("Intervals", "时段明细"),
}

_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "queue": ("Queue", "队列"),
    "agent": ("Agent", "坐席"),
    "team": ("Team", "班组"),
    "tier": ("Tier", "客户等级"),
    "campaign": ("Campaign", "外呼活动"),
    "node": ("IVR node", "IVR 节点"),
    "entered": ("Entered", "进入数"),
    "left_here": ("Left here", "在此离开"),
    "drop_off_rate": ("Drop-off rate", "流失率"),
    "outcome": ("Outcome", "结果"),
    "sessions": ("Sessions", "会话数"),
    "share": ("Share", "占比"),
    "handled": ("Handled", "处理量"),
    "ring_no_answer": ("Rang, not answered", "振铃未接"),
    "staffed_s": ("Staffed", "在线时长"),
    "paused_s": ("Paused", "暂停时长"),
    "talk_s": ("Talk time", "通话时长"),
    "ticket": ("Ticket", "工单"),
    "state": ("State", "状态"),
    "category": ("Category", "类别"),
    "customer": ("Customer", "客户"),
    "received_at": ("Received", "受理时间"),
    "due_at": ("Due", "截止时间"),
    "age_s": ("Age", "已历时长"),
    "overdue": ("Overdue", "已超时"),
    "callback": ("Callback", "回拨"),
    "phone": ("Phone", "电话"),
    "requested_at": ("Requested", "请求时间"),
    "preferred_at": ("Preferred time", "期望时间"),
    "attempts": ("Attempts", "尝试次数"),
    "kind": ("Kind", "类型"),
    "under_1d": ("< 1 day", "1 天内"),
    "d1_to_3": ("1–3 days", "1–3 天"),
    "d3_to_7": ("3–7 days", "3–7 天"),
    "over_7d": ("> 7 days", "7 天以上"),
    "question": ("Question", "问题"),
    "responses": ("Responses", "回复数"),
    "avg_score": ("Avg score", "平均分"),
    "interval": ("Interval", "时段"),
    "calls": ("Calls", "呼叫量"),
    "required_agents": ("Agents required", "需求坐席数"),
    "scheduled_agents": ("Agents scheduled", "排班坐席数"),
    "gap": ("Gap", "缺口"),
    "leads": ("Leads", "名单数"),
    "leads_attempted": ("Leads attempted", "已拨名单数"),
    "drop_definition": ("Drop rate definition", "弃呼率口径"),
    "interval_start": ("Interval start", "时段开始"),
    "definition": ("Definition", "定义"),
}

_WORDS: Final[dict[str, tuple[str, str]]] = {
    "title": ("Daily report", "日报"),
    "subject": ("daily report", "日报"),
    "headline": ("Headline", "核心指标"),
    "kpi": ("KPI", "指标"),
    "value": ("Value", "数值"),
    "target": ("Target", "目标"),
    "status": ("Status", "状态"),
    "day_before": ("Day before", "前一日"),
    "week_before": ("Same day last week", "上周同日"),
    "change": ("Change", "变化"),
    "vs_day_before": ("vs day before", "较前一日"),
    "vs_week_before": ("vs last week", "较上周同日"),
    "green": ("On target", "达标"),
    "amber": ("Near target", "接近目标"),
    "red": ("Off target", "未达标"),
    "no_data": ("No data", "无数据"),
    "notes": ("Notes", "备注"),
    "charts": ("Charts", "图表"),
    "offered_vs_answered": ("Offered vs answered calls", "呼入量与接通量"),
    "service_level_by_interval": ("Service level by interval", "各时段服务水平"),
    "abandon_by_interval": ("Abandon rate by interval", "各时段放弃率"),
    "generated_at": ("Generated at", "生成时间"),
    "site": ("Site", "站点"),
    "day": ("Day", "日期"),
    "timezone": ("Time zone", "时区"),
    "total": ("Total", "合计"),
    "definitions": ("KPI definitions: docs/kpi.md", "指标定义：docs/kpi.md"),
    "unit": ("Unit", "单位"),
    "key": ("Key", "代码"),
    "attachments": ("Attached", "附件"),
    "time_of_day": ("Time of day", "时间"),
}

HEADLINE_KEYS: Final = tuple(_HEADLINE)
TABLE_KEYS: Final = tuple(_TABLES)
COLUMN_KEYS: Final = tuple(_COLUMNS)
WORD_KEYS: Final = tuple(_WORDS)

_CODES: Final[dict[str, tuple[str, str]]] = {
    # customer tiers
    "vip": ("VIP", "VIP 客户"),
    "gold": ("Gold", "金卡客户"),
    "standard": ("Standard", "普通客户"),
    "unknown": ("Unknown caller", "未识别来电"),
    # complaint stages
    "received": ("Received", "已受理"),
    "confirmed": ("Confirmed", "已确认"),
    "planned": ("Planned", "已制定方案"),
    "executing": ("In progress", "处理中"),
    "follow_up": ("Follow-up call", "回访中"),
    "closed": ("Closed", "已结案"),
    # IVR outcomes
    "queued": ("To an agent (queued)", "转人工（排队）"),
    "self_served": ("Self-service", "自助服务完成"),
    "callback": ("Callback requested", "预约回电"),
    "complaint": ("Complaint recorded", "投诉登记"),
    "voicemail": ("Voicemail", "语音留言"),
    "transferred": ("Transferred", "已转接"),
    "abandoned": ("Caller hung up", "来电者挂机"),
    "no_input": ("No input", "无按键输入"),
    "failed": ("Failed (failover)", "失败（故障转移）"),
    # regulatory abandon definitions
    "ftc_30d": ("FTC, 30 days", "FTC（30 天）"),
    "fcc_30d": ("FCC, 30 days", "FCC（30 天）"),
    "ofcom_daily": ("Ofcom, daily", "Ofcom（每日）"),
    # yes / no
    "yes": ("Yes", "是"),
    "no": ("No", "否"),
}
CODE_KEYS: Final = tuple(_CODES)

LABELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {**_CODES, **_WORDS, **_COLUMNS, **_TABLES, **_HEADLINE}
)
"""Every label: key -> (English, Chinese). A table key that is also a column key (``queue`` vs
``queues``) is kept apart by the plural; headline KPI keys are column keys too."""


def check_language(language: str) -> int:
    """The index of ``language`` in the label pairs; a clear error for any other language."""
    try:
        return LANGUAGES.index(language)
    except ValueError:
        raise ValueError(
            f"report language {language!r} is not supported: use one of {', '.join(LANGUAGES)}"
        ) from None


def label(key: str, language: str) -> str:
    """The label of ``key`` in ``language``; the key itself when it has none (a new KPI shows
    under its key instead of breaking the report)."""
    index = check_language(language)
    pair = LABELS.get(key)
    return pair[index] if pair is not None else key


def rag_label(rag: Rag | None, language: str) -> str:
    """The word that goes with the colour (never colour alone): on / near / off target."""
    if rag is None:
        check_language(language)
        return MISSING
    return label(rag.value, language)


def page_label(page: int, pages: int | str, language: str) -> str:
    """ "Page 2 of 5" / "第 2 页，共 5 页" (``pages`` may be a placeholder the PDF fills in)."""
    if check_language(language) == 0:
        return f"Page {page} of {pages}"
    return f"第 {page} 页，共 {pages} 页"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _grouped(value: float, decimals: int) -> str:
    """Thousands separated with commas, as both English and Chinese reports write numbers."""
    return f"{value:,.{decimals}f}"


def _clock(seconds: float) -> str:
    total = round(abs(seconds))
    sign = "-" if seconds < 0 and total else ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def format_value(
    value: str | float | None, unit: Unit, language: str, *, currency: str | None = None
) -> str:
    """``value`` as a reader sees it: "83.4 %" for a ratio, "1:05" (or "1:02:03" from one
    hour) for seconds, "12,345" for a count, "4.2" for a score, "CNY 12.50" for money, "–" for
    None. Text is returned as given; a number that is not finite shows as "–"."""
    check_language(language)
    if value is None:
        return MISSING
    if isinstance(value, str):
        return label(value, language) if unit is Unit.CODE else value
    if not _is_number(value):
        raise TypeError(f"cannot format {value!r} as {unit.value}: expected a number or text")
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    if unit.is_text:
        return str(value)
    if unit is Unit.RATIO:
        return f"{number * 100:.1f} %"
    if unit is Unit.SECONDS:
        return _clock(number)
    if unit is Unit.SCORE:
        return f"{number:.1f}"
    if unit is Unit.MONEY:
        amount = _grouped(number, 2)
        return f"{currency} {amount}" if currency else amount
    # COUNT: whole numbers as such; an average count (agents scheduled over the day) keeps one
    # decimal instead of pretending to be whole.
    if number.is_integer():
        return _grouped(number, 0)
    return _grouped(number, 1)


def format_change(now: float | None, before: float | None, unit: Unit, language: str = "en") -> str:
    """The change from ``before`` to ``now``: percentage points for a ratio ("+2.1 pt"), the
    difference for a score ("+0.3"), the relative change for counts, seconds and money
    ("+12 %"). "–" when either is unknown or the relative change has no base (before = 0)."""
    check_language(language)
    if now is None or before is None or unit is Unit.TEXT:
        return MISSING
    if not (math.isfinite(now) and math.isfinite(before)):
        return MISSING
    if unit is Unit.RATIO:
        points = round((now - before) * 100, 1) + 0.0
        word = "pt" if language == "en" else "个百分点"
        return f"{points:+.1f} {word}"
    if unit is Unit.SCORE:
        return f"{round(now - before, 1) + 0.0:+.1f}"
    if before == 0:
        return "0 %" if now == 0 else MISSING
    percent = round((now - before) / abs(before) * 100) + 0
    return f"{percent:+d} %" if percent else "0 %"


def format_target(headline: Headline, language: str, *, currency: str | None = None) -> str:
    """The target with the side that meets it: "≥ 80.0 %" for a service level, "≤ 0:30" for
    an ASA; "–" without a target."""
    if headline.target is None:
        check_language(language)
        return MISSING
    value = format_value(headline.target, headline.unit, language, currency=currency)
    return f"{'≥' if headline.higher_is_better else '≤'} {value}"


@dataclass(frozen=True)
class HeadlineText:
    """One headline KPI as every renderer shows it: all of it already in words and digits."""

    key: str
    label: str
    value: str
    target: str
    status: Rag | None
    status_word: str
    day_before: str
    change_day: str
    week_before: str
    change_week: str


def headline_text(
    headline: Headline, language: str, *, currency: str | None = None
) -> HeadlineText:
    """``headline`` formatted in ``language`` (the changes are today's value against the day
    before and against the same weekday a week before)."""
    unit = headline.unit

    def value(number: float | None) -> str:
        return format_value(number, unit, language, currency=currency)

    return HeadlineText(
        key=headline.key,
        label=label(headline.key, language),
        value=value(headline.value),
        target=format_target(headline, language, currency=currency),
        status=headline.status,
        status_word=rag_label(headline.status, language),
        day_before=value(headline.day_before),
        change_day=format_change(headline.value, headline.day_before, unit, language),
        week_before=value(headline.week_before),
        change_week=format_change(headline.value, headline.week_before, unit, language),
    )
