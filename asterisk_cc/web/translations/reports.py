"""Chinese of the report pages: the daily pack, any date range, the calls behind a figure and
the KPI definitions. (The pack's own labels — KPI names, table titles, units — are in
:mod:`asterisk_cc.core.reports.labels`.)"""

ZH = {
    # tabs and pages
    "Daily pack": "日报",
    "Any date range": "任意时段",
    "KPI definitions": "指标定义",
    "Call KPIs of any date range": "任意时段的呼叫指标",
    "What this means": "指标含义",
    "No data": "无数据",
    "{count} more rows are in the downloads (PDF, spreadsheet, CSV).": (
        "另有 {count} 行未在页面显示，请见下载文件（PDF、电子表格、CSV）。"
    ),
    # the daily pack
    "Day": "日期",
    "Day before": "前一日",
    "Day after": "后一日",
    "Show": "查看",
    "Built at {time}": "生成于 {time}",
    "PDF": "PDF",
    "Spreadsheet (XLSX)": "电子表格（XLSX）",
    "CSV files (zip)": "CSV 文件（zip）",
    "Build the pack of this day again from the database?": "要根据数据库重新生成该日的日报吗？",
    "Rebuild": "重新生成",
    "Headline": "核心指标",
    "The calls behind this figure": "查看构成该数字的呼叫",
    "Target": "目标",
    "vs day before": "较前一日",
    "Same day last week": "上周同日",
    "vs last week": "较上周同日",
    "Notes": "备注",
    "Charts": "图表",
    "Recorded report runs": "报表运行记录",
    "Report": "报表",
    "Period": "统计期",
    "Status": "状态",
    "Started": "开始时间",
    "Finished": "结束时间",
    "Error": "错误",
    "No report has run yet.": "尚无报表运行记录。",
    "Queued": "等待运行",
    "Running": "运行中",
    "Succeeded": "成功",
    "Failed": "失败",
    "{day} has not begun yet: showing yesterday.": "{day} 尚未开始：显示昨日数据。",
    "The report is still being prepared: try again shortly.": "报表仍在生成中：请稍后再试。",
    "The report could not be built: {error}": "报表生成失败：{error}",
    "This report is being prepared.": "报表正在生成。",
    "A busy day takes a while to compute; this page refreshes by itself when it is ready.": (
        "话务量大的日期需要较长计算时间；生成完成后本页会自动刷新。"
    ),
    # any date range
    "From": "开始日期",
    "To": "结束日期",
    "Group by": "分组方式",
    "Download CSV": "下载 CSV",
    "Queue and agent rows count visits (a call that went through two queues is in both); the other rows and the total count calls.": (
        "队列行与坐席行按进线计（经过两个队列的呼叫在两个队列各计一次）；其他行及合计按呼叫计。"
    ),
    "Queue": "队列",
    "Agent": "坐席",
    "Customer tier": "客户等级",
    "Interval": "时段",
    "Week": "周",
    "Month": "月",
    "All calls": "全部呼叫",
    "“{given}” is not a date: write it as YYYY-MM-DD, e.g. 2026-11-22.": (
        "“{given}”不是有效日期：请按 YYYY-MM-DD 格式填写，例如 2026-11-22。"
    ),
    "The end of the range ({last}) is before its start ({first}).": (
        "结束日期（{last}）早于开始日期（{first}）。"
    ),
    "The range is {days} days long: a report covers at most {max_days} days.": (
        "所选时段共 {days} 天：一份报表最多覆盖 {max_days} 天。"
    ),
    # the calls behind a figure
    "Calls": "呼叫",
    "Offered calls": "呼入呼叫",
    "Answered calls": "接通呼叫",
    "Abandoned calls": "放弃呼叫",
    "Short abandons": "短时放弃",
    "Calls that timed out": "排队超时的呼叫",
    "Calls answered within the service level": "在服务水平阈值内接通的呼叫",
    "Calls that missed the service level": "未达服务水平的呼叫",
    "Transferred calls": "被转接的呼叫",
    "All calls, {period}": "全部呼叫，{period}",
    "Interval from {time}, {period}": "{time} 起的时段，{period}",
    "{kind} {name}, {period}": "{kind} {name}，{period}",
    "Other figures of the same group": "同组的其他数字",
    "The report shows {figure}; listed: {count}.": "报表数字为 {figure}；列出 {count} 条。",
    "Visits to the queue: a call that went through two queues is listed in each.": (
        "按进线列出：经过两个队列的呼叫在每个队列各列一次。"
    ),
    "Calls: the visits of a call to several queues are one call, under the queue that answered it or the last one.": (
        "按呼叫列出：一通呼叫经过多个队列只算一次，归入接通它的队列，否则归入最后一个队列。"
    ),
    "Caller number or call ID contains": "主叫号码或呼叫 ID 包含",
    "Filter": "筛选",
    "{count} match the filter.": "{count} 条符合筛选条件。",
    "Time": "时间",
    "Caller": "主叫号码",
    "Wait": "等待",
    "Talk": "通话",
    "Outcome": "结果",
    "Call ID": "呼叫 ID",
    "transferred": "已转接",
    "No calls.": "没有呼叫。",
    "Pages": "分页",
    "Previous": "上一页",
    "Next": "下一页",
    "Page {page} of {pages}": "第 {page} 页，共 {pages} 页",
    "Answered": "已接通",
    "Abandoned": "已放弃",
    "Timed out": "排队超时",
    "Left: no agents": "无坐席退出",
    "Left by key": "按键退出",
    "Withdrawn": "已撤回",
    "Lost (restart)": "丢失（系统重启）",
    "Waiting": "排队中",
    "This list does not exist: open it from a figure of a report.": (
        "该列表不存在：请从报表中的数字进入。"
    ),
    # KPI definitions
    "Every figure of the reports is computed as defined here. A value that cannot be computed (no calls, no surveys) shows as “–”, never as 0.": (
        "报表中的每个数字都按此处的定义计算。无法计算的值（无呼叫、无评价）显示为“–”，而不是 0。"
    ),
    "Formula": "公式",
    "Included and excluded": "包含与排除",
    "Unit": "单位",
}
