"""Reports in the browser, for supervisors and admins.

* ``/reports/`` — the daily pack of a day (default: yesterday in the site's time zone): the
  headline against its targets, the charts, the tables, the downloads, and the recorded report
  runs;
* ``/reports/range`` — the call KPIs of any range of days, by queue, agent, tier, interval,
  day, week or month (what ``asterisk-cc report kpis`` prints), and its CSV;
* ``/reports/calls`` — the calls behind a figure of either (paginated; the list's count is the
  figure, see :mod:`~asterisk_cc.core.reports.drilldown`);
* ``/reports/definitions`` — what every KPI means (each KPI name on the pages links here).

Reports are built in the background and kept (:mod:`asterisk_cc.web.reports_cache`): a page
never waits for more than a moment and says so when a report is still being prepared.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from asterisk_cc.core.reports.breakdown import BREAKDOWNS
from asterisk_cc.core.reports.cache_policy import keep_for
from asterisk_cc.core.reports.calls import QueueVisit
from asterisk_cc.core.reports.date_range import (
    DateRange,
    RangeProblem,
    parse_day,
    parse_range,
)
from asterisk_cc.core.reports.definitions import DEFINITIONS, definition_text
from asterisk_cc.core.reports.drilldown import MEASURES, Scope
from asterisk_cc.core.reports.labels import check_language, format_value, label
from asterisk_cc.core.reports.pack import DailyPack, Unit
from asterisk_cc.core.vocabulary import ReportStatus
from asterisk_cc.db.models import Agent, ReportRun
from asterisk_cc.reports.charts import CHART_KEYS, chart_pngs
from asterisk_cc.reports.daily import REPORT_NAME
from asterisk_cc.reports.render import pack_file_name
from asterisk_cc.reports.render_pdf import render_pdf
from asterisk_cc.reports.render_tables import csv_zip, safe_text, xlsx_bytes
from asterisk_cc.web.access import audit, roles
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import current_language, gettext
from asterisk_cc.web.nav import SUPERVISING, NavItem
from asterisk_cc.web.reports_cache import BuildCache, Entry, PackStore
from asterisk_cc.web.reports_data import (
    CallsResult,
    RangeResult,
    build_calls,
    build_pack,
    build_range,
    period_bounds,
)
from asterisk_cc.web.reports_views import (
    RANGE_CSV_HEADER,
    calls_url,
    headline_views,
    pack_table_views,
    range_table_view,
    range_values,
)

blueprint = Blueprint("reports", __name__, url_prefix="/reports")
NAV = [NavItem("reports.index", "Reports", SUPERVISING, 60)]

PAGE_SIZE: Final = 50
RUNS_SHOWN: Final = 20
DOWNLOADS: Final = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
}
"""Pack downloads: format -> content type (``csv`` is the zip of one CSV per table)."""

WAIT_S: Final = 0.1
"""How long a page waits for a report being built before it says it is being prepared (the
page must answer in 200 ms)."""
DOWNLOAD_WAIT_S: Final = 120.0


# --- the reports kept between requests --------------------------------------------------------


@dataclass
class _PackView:
    """A built pack and its charts per language (drawn once, on first view)."""

    pack: DailyPack
    charts: dict[str, dict[str, bytes]]
    lock: threading.Lock

    def charts_in(self, language: str) -> dict[str, bytes]:
        with self.lock:
            if language not in self.charts:
                self.charts[language] = chart_pngs(self.pack, language)
            return self.charts[language]


@dataclass
class _Reports:
    packs: BuildCache[_PackView]
    ranges: BuildCache[RangeResult]
    calls: BuildCache[CallsResult]
    store: PackStore
    wait_s: float
    download_wait_s: float


_STATE_KEY: Final = "reports"
_STATE_LOCK = threading.Lock()


def _reports() -> _Reports:
    """The application's report caches (made on first use; tests tune them through the web
    context's ``extras``: ``reports.wait_s``, ``reports.download_wait_s``, ``reports.cache_dir``)."""
    context = web_context()
    with _STATE_LOCK:
        state = context.extras.get(_STATE_KEY)
        if not isinstance(state, _Reports):
            extras = context.extras
            folder = extras.get("reports.cache_dir") or (
                Path(context.settings.reports.output_dir) / ".dashboard-cache"
            )
            state = _Reports(
                packs=BuildCache("pack", max_entries=32),
                ranges=BuildCache("range", max_entries=64),
                calls=BuildCache(
                    "calls",
                    max_entries=16,
                    max_weight=2_000_000,
                    weigh=lambda result: len(result.members),
                ),
                store=PackStore(Path(folder)),
                wait_s=float(extras.get("reports.wait_s", WAIT_S)),
                download_wait_s=float(extras.get("reports.download_wait_s", DOWNLOAD_WAIT_S)),
            )
            extras[_STATE_KEY] = state
    return state


def _zone() -> ZoneInfo:
    return web_context().site_zone


def _today() -> date:
    return web_context().now().astimezone(_zone()).date()


def _keep_until(first: date, last: date) -> Any:
    _, end = period_bounds(first, last, _zone())
    return lambda value: keep_for(end, value_built_at(value))


def value_built_at(value: Any) -> datetime:
    if isinstance(value, _PackView):
        return value.pack.generated_at
    built: datetime = value.built_at
    return built


def _pack_entry(day: date, wait_s: float | None = None) -> Entry[_PackView]:
    reports = _reports()
    context = web_context()
    settings, sessions, now = context.settings, context.sessions, context.now()
    _, end = period_bounds(day, day, _zone())

    def build() -> _PackView:
        pack = reports.store.load(day)
        if pack is None or keep_for(end, pack.generated_at) is not None:
            pack = build_pack(sessions, settings, day, now)
            if keep_for(end, pack.generated_at) is None:
                reports.store.save(pack)
        return _PackView(pack, {}, threading.Lock())

    return reports.packs.get(
        ("pack", day),
        build,
        keep_for=_keep_until(day, day),
        wait_s=reports.wait_s if wait_s is None else wait_s,
    )


# --- messages ----------------------------------------------------------------------------------


def _range_message(problem: RangeProblem) -> str:
    if problem.code == "not_a_date":
        return gettext(
            "“{given}” is not a date: write it as YYYY-MM-DD, e.g. 2026-11-22.", **problem.values
        )
    if problem.code == "to_before_from":
        return gettext(
            "The end of the range ({last}) is before its start ({first}).", **problem.values
        )
    return gettext(
        "The range is {days} days long: a report covers at most {max_days} days.",
        **problem.values,
    )


def _measure_names() -> dict[str, str]:
    return {
        "offered": gettext("Offered calls"),
        "answered": gettext("Answered calls"),
        "abandoned": gettext("Abandoned calls"),
        "short_abandoned": gettext("Short abandons"),
        "timed_out": gettext("Calls that timed out"),
        "sl_met": gettext("Calls answered within the service level"),
        "sl_missed": gettext("Calls that missed the service level"),
        "transferred": gettext("Transferred calls"),
    }


def _outcome_names() -> dict[str, str]:
    return {
        "answered": gettext("Answered"),
        "abandoned": gettext("Abandoned"),
        "timeout": gettext("Timed out"),
        "exit_empty": gettext("Left: no agents"),
        "exit_key": gettext("Left by key"),
        "withdrawn": gettext("Withdrawn"),
        "lost": gettext("Lost (restart)"),
        "in_queue": gettext("Waiting"),
    }


def _by_names() -> dict[str, str]:
    return {
        "queue": gettext("Queue"),
        "agent": gettext("Agent"),
        "tier": gettext("Customer tier"),
        "interval": gettext("Interval"),
        "day": gettext("Day"),
        "week": gettext("Week"),
        "month": gettext("Month"),
    }


def _scope_name(scope: Scope, first: date, last: date) -> str:
    period = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
    if scope.by == "all":
        return gettext("All calls, {period}", period=period)
    if scope.by == "slot":
        start = datetime.fromisoformat(scope.label or "")
        return gettext("Interval from {time}, {period}", time=f"{start:%H:%M}", period=period)
    name = label(scope.label or "", current_language()) if scope.by == "tier" else scope.label
    return gettext("{kind} {name}, {period}", kind=_by_names()[scope.by], name=name, period=period)


def _status_names() -> dict[str, str]:
    return {
        ReportStatus.QUEUED.value: gettext("Queued"),
        ReportStatus.RUNNING.value: gettext("Running"),
        ReportStatus.SUCCEEDED.value: gettext("Succeeded"),
        ReportStatus.FAILED.value: gettext("Failed"),
    }


# --- the daily pack ----------------------------------------------------------------------------


def _recorded_runs() -> list[dict[str, Any]]:
    zone = _zone()
    statuses = _status_names()
    runs = []
    for run in db().scalars(select(ReportRun).order_by(ReportRun.id.desc()).limit(RUNS_SHOWN)):
        first = run.period_start.astimezone(zone).date()
        last = (run.period_end - timedelta(seconds=1)).astimezone(zone).date()
        runs.append(
            {
                "id": run.id,
                "report": run.report,
                "first": first,
                "last": last,
                "status": str(run.status),
                "status_word": statuses.get(str(run.status), str(run.status)),
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "error": (run.error or "").splitlines()[0][:300] if run.error else None,
                "pack_day": first if run.report == REPORT_NAME else None,
            }
        )
    return runs


def _agent_logins(pack: DailyPack) -> dict[str, str]:
    """Agents table name -> login, for the names that belong to one agent only."""
    agents = pack.table("agents")
    if agents is None or not agents.rows:
        return {}
    names = {str(row[0]) for row in agents.rows}
    found: dict[str, list[str]] = {}
    for login, name in db().execute(select(Agent.login, Agent.name).where(Agent.name.in_(names))):
        found.setdefault(name, []).append(login)
    logins = {name: found[name][0] for name in found if len(found[name]) == 1}
    # A member queue_log knows but the agents table does not is shown under its own name.
    logins.update({name: name for name in names if name not in found})
    return logins


def _chosen_day(text: str | None) -> tuple[date, str | None]:
    yesterday = _today() - timedelta(days=1)
    try:
        day = parse_day(text, yesterday)
    except RangeProblem as problem:
        return yesterday, _range_message(problem)
    if day > _today():
        return yesterday, gettext(
            "{day} has not begun yet: showing yesterday.", day=day.isoformat()
        )
    return day, None


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> str:
    day, problem = _chosen_day(request.args.get("day"))
    entry = _pack_entry(day)
    language = current_language()
    currency = web_context().settings.reports.currency
    view = entry.value if entry.ready else None
    return render_template(
        "reports/pack.html",
        day=day,
        today=_today(),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1) if day < _today() else None,
        problem=problem,
        entry=entry,
        pack=view.pack if view else None,
        headline=headline_views(view.pack, language, currency) if view else [],
        tables=pack_table_views(view.pack, language, currency, _agent_logins(view.pack))
        if view
        else [],
        charts=[(key, label(key, language)) for key in CHART_KEYS],
        notes=[label(note, language) for note in view.pack.notes] if view else [],
        runs=_recorded_runs(),
        downloads=list(DOWNLOADS),
    )


def _day_of(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(404)
    if day > _today():
        abort(404)
    return day


@blueprint.route("/pack/<day>/chart/<key>.png")
@roles(*SUPERVISING)
def chart(day: str, key: str) -> Response:
    if key not in CHART_KEYS:
        abort(404)
    entry = _pack_entry(_day_of(day), wait_s=_reports().download_wait_s)
    if not entry.ready or entry.value is None:
        abort(503, description=gettext("The report is still being prepared: try again shortly."))
    png = entry.value.charts_in(current_language())[key]
    return Response(png, mimetype="image/png")


@blueprint.route("/pack/<day>/rebuild", methods=["POST"])
@roles(*SUPERVISING)
def rebuild(day: str) -> Any:
    chosen = _day_of(day)
    reports = _reports()
    reports.packs.forget(("pack", chosen))
    reports.store.remove(chosen)
    audit("report_rebuild", f"pack:{chosen.isoformat()}")
    db().commit()
    return redirect(url_for("reports.index", day=chosen.isoformat()))


def _stored_file(day: date, language: str, fmt: str) -> Path | None:
    """The file the daily job wrote for ``day`` (the one that was mailed), if it is there."""
    start, _ = period_bounds(day, day, _zone())
    folder = db().scalar(
        select(ReportRun.output_path)
        .where(
            ReportRun.report == REPORT_NAME,
            ReportRun.period_start == start,
            ReportRun.status == ReportStatus.SUCCEEDED,
            ReportRun.output_path.is_not(None),
        )
        .order_by(ReportRun.id.desc())
        .limit(1)
    )
    if not folder:
        return None
    name = f"pack-{day.isoformat()}-{language}" + ("-csv.zip" if fmt == "csv" else f".{fmt}")
    path = Path(folder) / name
    return path if path.is_file() else None


def _attachment(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.route("/pack/<day>/download/<fmt>")
@roles(*SUPERVISING)
def download(day: str, fmt: str) -> Response:
    if fmt not in DOWNLOADS:
        abort(404)
    chosen = _day_of(day)
    language = current_language()
    check_language(language)
    stored = _stored_file(chosen, language, fmt)
    if stored is not None:
        data, source = stored.read_bytes(), "stored"
        filename = stored.name
    else:
        entry = _pack_entry(chosen, wait_s=_reports().download_wait_s)
        if not entry.ready or entry.value is None:
            abort(
                503,
                description=gettext("The report is still being prepared: try again shortly."),
            )
        view = entry.value
        currency = web_context().settings.reports.currency
        if fmt == "pdf":
            data = render_pdf(
                view.pack, language, charts=view.charts_in(language), currency=currency
            )
        elif fmt == "xlsx":
            data = xlsx_bytes(view.pack, language, currency=currency)
        else:
            data = csv_zip(view.pack)
        source, filename = "built", pack_file_name(view.pack, language, fmt)
    audit(
        "report_export",
        f"pack:{chosen.isoformat()}",
        format=fmt,
        language=language,
        source=source,
    )
    db().commit()
    return _attachment(data, filename, DOWNLOADS[fmt])


# --- any range ---------------------------------------------------------------------------------


def _chosen_range() -> tuple[DateRange | None, str, str | None]:
    by = request.args.get("by", "queue")
    if by not in BREAKDOWNS:
        by = "queue"
    yesterday = _today() - timedelta(days=1)
    try:
        chosen = parse_range(
            request.args.get("from"), request.args.get("to"), default_first=yesterday
        )
    except RangeProblem as problem:
        return None, by, _range_message(problem)
    return chosen, by, None


def _range_entry(chosen: DateRange, by: str, wait_s: float) -> Entry[RangeResult]:
    context = web_context()
    settings, sessions, now = context.settings, context.sessions, context.now()
    return _reports().ranges.get(
        ("range", chosen.first, chosen.last, by),
        lambda: build_range(sessions, settings, chosen.first, chosen.last, by, now),
        keep_for=_keep_until(chosen.first, chosen.last),
        wait_s=wait_s,
    )


@blueprint.route("/range")
@roles(*SUPERVISING)
def range_table() -> str:
    chosen, by, problem = _chosen_range()
    entry = _range_entry(chosen, by, _reports().wait_s) if chosen else None
    table = None
    if entry is not None and entry.ready and entry.value is not None:
        table = range_table_view(
            entry.value, current_language(), _by_names()[by], gettext("All calls")
        )
    first_text = request.args.get("from") or (_today() - timedelta(days=1)).isoformat()
    return render_template(
        "reports/range.html",
        first=first_text[:40],
        last=(request.args.get("to") or first_text)[:40],
        by=by,
        by_names=_by_names(),
        chosen=chosen,
        problem=problem,
        entry=entry,
        table=table,
    )


@blueprint.route("/range.csv")
@roles(*SUPERVISING)
def range_csv() -> Response:
    chosen, by, problem = _chosen_range()
    if chosen is None:
        abort(400, description=problem)
    entry = _range_entry(chosen, by, _reports().download_wait_s)
    if not entry.ready or entry.value is None:
        abort(503, description=gettext("The report is still being prepared: try again shortly."))
    result = entry.value
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow((by, *RANGE_CSV_HEADER))
    for row in [*result.rows, result.total]:
        name = row.label or "total"
        writer.writerow((safe_text(name), *("" if v is None else v for v in range_values(row))))
    audit(
        "report_export",
        f"kpis:{by}",
        format="csv",
        first=chosen.first.isoformat(),
        last=chosen.last.isoformat(),
    )
    db().commit()
    filename = f"kpis-{by}-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    return _attachment(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), filename, "text/csv; charset=utf-8"
    )


# --- the calls behind a figure -----------------------------------------------------------------


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _count(number: int | None) -> str:
    return format_value(number, Unit.COUNT, current_language())


def _agent_names(visits: list[QueueVisit]) -> dict[str, str]:
    logins = {v.agent for v in visits if v.agent}
    if not logins:
        return {}
    return dict(db().execute(select(Agent.login, Agent.name).where(Agent.login.in_(logins))).all())


@blueprint.route("/calls")
@roles(*SUPERVISING)
def calls() -> str:
    measure = request.args.get("measure", "offered")
    by = request.args.get("by", "all")
    row = request.args.get("label") or None
    problem = None
    scope = None
    chosen = None
    try:
        chosen = parse_range(
            request.args.get("from"), request.args.get("to"), default_first=_today()
        )
        if measure not in MEASURES:
            raise ValueError(measure)
        scope = Scope(by, row if by != "all" else None)
    except RangeProblem as range_problem:
        problem = _range_message(range_problem)
    except ValueError:
        problem = gettext("This list does not exist: open it from a figure of a report.")
    entry = None
    if scope is not None and chosen is not None:
        context = web_context()
        settings, sessions, now = context.settings, context.sessions, context.now()
        first, last, chosen_scope = chosen.first, chosen.last, scope
        entry = _reports().calls.get(
            ("calls", first, last, scope, measure),
            lambda: build_calls(sessions, settings, first, last, chosen_scope, measure, now),
            keep_for=_keep_until(first, last),
            wait_s=_reports().wait_s,
        )
    search = request.args.get("caller", "").strip()[:64]
    listed: list[QueueVisit] = []
    page, pages, total = _page_number(), 1, 0
    figure = None
    if entry is not None and entry.ready and entry.value is not None:
        found = list(entry.value.members)
        figure = entry.value.figure
        if search:
            needle = search.casefold()
            found = [
                v
                for v in found
                if needle in (v.caller_number or "").casefold() or needle in v.callid.casefold()
            ]
        total = len(found)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        listed = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "reports/calls.html",
        problem=problem,
        entry=entry,
        heading=_measure_names().get(measure, ""),
        scope_name=_scope_name(scope, chosen.first, chosen.last) if scope and chosen else "",
        measure=measure,
        measures=_measure_names(),
        switch={m: calls_url(chosen.first, chosen.last, by, row, m) for m in MEASURES}
        if scope and chosen
        else {},
        figure=figure,
        figure_text=_count(figure),
        listed_text=_count(len(entry.value.members))
        if entry and entry.ready and entry.value
        else "",
        total=total,
        total_text=_count(total),
        search=search,
        calls=listed,
        outcomes=_outcome_names(),
        agent_names=_agent_names(listed),
        page=page,
        pages=pages,
        args=args,
        counts_visits=scope.counts_visits if scope else False,
    )


# --- KPI definitions ---------------------------------------------------------------------------


@blueprint.route("/definitions")
@roles(*SUPERVISING)
def definitions() -> str:
    language = current_language()
    shown = [definition_text(key, language) for key in DEFINITIONS]
    return render_template("reports/definitions.html", definitions=shown)
