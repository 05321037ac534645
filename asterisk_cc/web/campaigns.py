"""Outbound campaigns, for supervisors and admins: the list with live progress, a campaign's
settings (create, edit) and figures, start/pause/stop, and the lead and do-not-call uploads
with their validation reports.

Every setting is checked by the dialer's own rules (:func:`campaign_from_mapping`, the same as
``asterisk-cc campaign``), saved by :func:`~asterisk_cc.db.campaigns.save_campaign`, and a
refused form comes back with each problem next to its field and everything typed kept. Lead
files go through :func:`~asterisk_cc.db.lead_import.import_leads` (every row inserted or
rejected with its line and reason) and do-not-call files through
:func:`~asterisk_cc.db.dnc.import_dnc`. Changes are in the audit log twice over: the dialer's
own entry with the settings or counts (as from the command line) and the dashboard's entry
(``campaign_update``, ``leads_import``, ``dnc_import``) with the user's address.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, Final

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from asterisk_cc.core.campaign_view import (
    FORM_ACTIONS,
    GENERAL,
    RETRY_FIELD_PREFIX,
    WEEKDAY_KEYS,
    UploadProblem,
    allowed_actions,
    column_names,
    drop_level,
    form_from_mapping,
    mapping_from_form,
    page_of,
    problems_by_field,
    rejects_csv_rows,
    upload_problem,
)
from asterisk_cc.core.dialer.campaign import (
    CampaignError,
    CampaignSettings,
    campaign_from_mapping,
    campaign_to_mapping,
    campaign_transition,
    campaign_warnings,
)
from asterisk_cc.core.dialer.lead_csv import LeadColumns, LeadFileError, RowWarning
from asterisk_cc.core.dialer.retry import MACHINE_ACTIONS, RETRY_DELAY_KEYS
from asterisk_cc.core.vocabulary import AbandonDefinition, DialMode, LeadStatus
from asterisk_cc.db.campaigns import lead_counts, load_campaign_settings, save_campaign
from asterisk_cc.db.campaigns import set_campaign_status as change_status
from asterisk_cc.db.dnc import import_dnc
from asterisk_cc.db.lead_import import import_leads
from asterisk_cc.db.models import Campaign
from asterisk_cc.web.access import audit, current_user, roles
from asterisk_cc.web.campaigns_data import (
    CampaignFigures,
    campaign_figures,
    drop_figures,
    outcomes_today,
    recent_attempts,
    search_campaigns,
)
from asterisk_cc.web.campaigns_labels import (
    LABELS,
    action_label,
    status_label,
    upload_message,
)
from asterisk_cc.web.campaigns_reports import UploadReport, figures_cache, report_store
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.formatting import percent
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")
NAV = [NavItem("campaigns.index", "Campaigns", SUPERVISING, 40)]

REJECTED_PER_PAGE: Final = 100
WARNINGS_SHOWN: Final = 100
MAX_PROGRESS_IDS: Final = 100
SEARCH_MAX_CHARS: Final = 128
SOURCE_MAX_CHARS: Final = 32


@blueprint.context_processor
def _labels() -> dict[str, Any]:
    return dict(LABELS)


def _campaign(campaign_id: int) -> Campaign:
    campaign = db().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _max_upload_bytes() -> int:
    return web_context().settings.web.max_upload_mb * 1024 * 1024


# --- list and live progress ---------------------------------------------------------------------


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> Any:
    text = request.args.get("q", "").strip()[:SEARCH_MAX_CHARS]
    status = request.args.get("status") or None
    campaigns, page = search_campaigns(db(), text, status, request.args.get("page"))
    figures = campaign_figures(db(), campaigns, web_context().now(), figures_cache())
    return render_template(
        "campaigns/index.html",
        campaigns=campaigns,
        figures=figures,
        page=page,
        q=text,
        status=status or "",
        drop_level=drop_level,
    )


@blueprint.route("/progress")
@roles(*SUPERVISING)
def progress() -> Any:
    """The list's figures for the campaigns ``ids=1,2,3`` (polled by campaigns.js)."""
    ids = []
    for part in request.args.get("ids", "").split(",")[:MAX_PROGRESS_IDS]:
        if part.strip().isdigit():
            ids.append(int(part))
    campaigns = list(db().scalars(select(Campaign).where(Campaign.id.in_(ids)))) if ids else []
    now = web_context().now()
    figures = campaign_figures(db(), campaigns, now, figures_cache())
    return jsonify(
        {
            "at": now.isoformat(),
            "campaigns": {
                str(c.id): _progress_of(c, figures[c.id]) for c in campaigns if c.id in figures
            },
        }
    )


def _progress_of(campaign: Campaign, figures: CampaignFigures) -> dict[str, Any]:
    level = drop_level(figures.drop_rate_today, campaign.abandon_target_ratio)
    return {
        "status": campaign.status.value,
        "status_label": status_label(campaign.status),
        "leads": figures.leads.total,
        "dialable": figures.leads.dialable,
        "finished": figures.leads.finished,
        "finished_percent": percent(figures.leads.finished_ratio, 0),
        "finished_ratio": figures.leads.finished_ratio,
        "attempts_today": figures.attempts_today,
        "contacts_today": figures.contacts_today,
        "drops_today": figures.drops_today,
        "drop_rate": percent(figures.drop_rate_today),
        "drop_level": level.value if level else "",
    }


# --- create and edit ----------------------------------------------------------------------------


def _default_form() -> dict[str, Any]:
    site_zone = web_context().settings.site.timezone
    defaults = campaign_to_mapping(CampaignSettings(name="-", timezone=site_zone))
    form = form_from_mapping(defaults)
    form["name"] = ""
    return form


def _form_page(
    campaign: Campaign | None,
    form: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Any:
    return (
        render_template(
            "campaigns/form.html",
            campaign=campaign,
            form=form,
            errors=errors or {},
            general=GENERAL,
            dial_modes=[m.value for m in DialMode],
            definitions=[d.value for d in AbandonDefinition],
            machine_actions=MACHINE_ACTIONS,
            recordings=("all", "none", "on_demand"),
            purposes=("list", "callbacks"),
            weekdays=WEEKDAY_KEYS,
            retry_keys=RETRY_DELAY_KEYS,
            retry_prefix=RETRY_FIELD_PREFIX,
        ),
        status,
    )


def _posted_form() -> dict[str, Any]:
    """The form as posted, to show again after a refusal (nothing typed is lost)."""
    posted: dict[str, Any] = {key: value for key, value in request.form.items()}
    posted["days"] = request.form.getlist("days")
    posted["amd_enabled"] = "amd_enabled" in request.form
    return posted


@blueprint.route("/new", methods=["GET", "POST"])
@roles(*SUPERVISING)
def create() -> Any:
    if request.method == "GET":
        return _form_page(None, _default_form())
    data = mapping_from_form(request.form.to_dict(flat=False))
    site_zone = web_context().settings.site.timezone
    try:
        settings = campaign_from_mapping(data, default_timezone=site_zone)
    except CampaignError as exc:
        return _form_page(None, _posted_form(), problems_by_field(exc.problems), 400)
    taken = db().scalar(select(Campaign.id).where(Campaign.name == settings.name))
    if taken is not None:
        message = gettext("A campaign with this name exists already: choose another name.")
        return _form_page(None, _posted_form(), {"name": [message]}, 400)
    return _save(None, settings)


@blueprint.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles(*SUPERVISING)
def edit(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    if request.method == "GET":
        try:
            settings = load_campaign_settings(campaign, db())
        except CampaignError as exc:
            form = _default_form()
            form["name"] = campaign.name
            return _form_page(campaign, form, problems_by_field(exc.problems))
        return _form_page(campaign, form_from_mapping(campaign_to_mapping(settings)))
    data = mapping_from_form(request.form.to_dict(flat=False), name=campaign.name)
    site_zone = web_context().settings.site.timezone
    try:
        settings = campaign_from_mapping(data, default_timezone=site_zone)
    except CampaignError as exc:
        form = _posted_form() | {"name": campaign.name}
        return _form_page(campaign, form, problems_by_field(exc.problems), 400)
    return _save(campaign, settings)


def _save(campaign: Campaign | None, settings: CampaignSettings) -> Any:
    """Save checked settings (agents and teams must exist), audit, and go to the campaign."""
    session = db()
    user = current_user()
    try:
        saved = save_campaign(session, settings, web_context().now(), user_id=user.id)
    except CampaignError as exc:
        session.rollback()
        form = _posted_form() | ({"name": campaign.name} if campaign else {})
        return _form_page(campaign, form, problems_by_field(exc.problems), 400)
    audit(
        "campaign_update",
        f"campaign:{saved.name}",
        change="create" if campaign is None else "edit",
        campaign_id=saved.id,
    )
    session.commit()
    if campaign is None:
        flash(gettext("Campaign created as a draft: start it when its leads are in."), "ok")
    else:
        flash(gettext("Campaign saved."), "ok")
    return redirect(url_for("campaigns.detail", campaign_id=saved.id), 303)


# --- detail and status ---------------------------------------------------------------------------


@blueprint.route("/<int:campaign_id>")
@roles(*SUPERVISING)
def detail(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    session = db()
    now = web_context().now()
    problems: list[str] = []
    warnings: list[str] = []
    settings_shown: dict[str, Any] = {}
    try:
        settings = load_campaign_settings(campaign, session)
    except CampaignError as exc:
        problems = list(exc.problems)
    else:
        settings_shown = campaign_to_mapping(settings)
        warnings = campaign_warnings(settings)
    counts = lead_counts(session, campaign.id)
    total = sum(counts.values())
    daily = campaign.abandon_definition is AbandonDefinition.OFCOM_DAILY
    drops = drop_figures(session, campaign, now, daily=daily, cache=figures_cache())
    attempts, page = recent_attempts(session, campaign.id, request.args.get("page"), now)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        settings=settings_shown,
        problems=problems,
        warnings=warnings,
        counts=[(status, counts[status]) for status in LeadStatus],
        total=total,
        drops=drops,
        today_level=drop_level(drops.today.abandon_ratio, campaign.abandon_target_ratio),
        month_level=drop_level(
            drops.last_30_days.abandon_ratio if drops.last_30_days else None,
            campaign.abandon_target_ratio,
        ),
        outcomes=outcomes_today(session, campaign, now),
        attempts=attempts,
        page=page,
        actions=allowed_actions(campaign.status),
        retry_keys=RETRY_DELAY_KEYS,
    )


@blueprint.route("/<int:campaign_id>/status", methods=["POST"])
@roles(*SUPERVISING)
def set_status(campaign_id: int) -> Any:
    """Start, pause or stop: only the changes the campaign's status allows."""
    campaign = _campaign(campaign_id)
    action = request.form.get("action", "")
    back = redirect(url_for("campaigns.detail", campaign_id=campaign.id), 303)
    if action not in FORM_ACTIONS:
        abort(400, description=gettext("Unknown action: use start, pause or stop."))
    before = campaign.status
    try:
        campaign_transition(before, action)
    except ValueError:
        flash(
            gettext(
                "This campaign is {status}: it cannot be changed with “{action}” now.",
                status=status_label(before),
                action=action_label(action),
            ),
            "error",
        )
        return back
    session = db()
    try:
        after = change_status(
            session, campaign, action, web_context().now(), user_id=current_user().id
        )
    except ValueError:
        session.rollback()
        flash(
            gettext(
                "Nobody can take this campaign's calls: assign agents or teams, or give it a queue whose skills active agents have."
            ),
            "error",
        )
        return back
    audit(
        "campaign_update",
        f"campaign:{campaign.name}",
        change=action,
        campaign_id=campaign.id,
        before=before.value,
        after=after.value,
    )
    session.commit()
    flash(
        gettext("Campaign is now {status}.", status=status_label(after)),
        "ok",
    )
    return back


# --- uploads ------------------------------------------------------------------------------------


def _uploaded() -> tuple[str, bytes, str | None]:
    """(file name, content, the problem's message or None) of the form's ``file``."""
    upload = request.files.get("file")
    filename = (upload.filename or "") if upload is not None else ""
    limit = _max_upload_bytes()
    # Read one byte past the limit: enough to know it is too large, without holding more.
    data = upload.stream.read(limit + 1) if upload is not None and filename else b""
    problem = upload_problem(filename, data, limit)
    if problem is None:
        return filename, data, None
    return filename, data, upload_message(problem, web_context().settings.web.max_upload_mb)


def _region(posted: str | None) -> str:
    return (posted or "").strip().upper() or web_context().settings.site.default_region


@blueprint.route("/<int:campaign_id>/leads", methods=["GET", "POST"])
@roles(*SUPERVISING)
def import_leads_page(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    site = web_context().settings.site
    if request.method == "GET":
        return _leads_form(campaign, {"region": site.default_region})
    form = {key: request.form.get(key, "") for key in ("phones", "ref", "tz", "fields", "region")}
    filename, data, problem = _uploaded()
    if problem is not None:
        return _leads_form(campaign, form, problem, 400)
    phones = column_names(form["phones"])
    if not phones:
        message = gettext("Name the phone column: the column of the file that holds the numbers.")
        return _leads_form(campaign, form, message, 400)
    try:
        columns = LeadColumns(
            phones=phones,
            external_ref=form["ref"].strip() or None,
            timezone=form["tz"].strip() or None,
            fields=column_names(form["fields"]) or None,
        )
    except ValueError as exc:
        message = gettext("The column mapping is not usable: {reason}", reason=str(exc))
        return _leads_form(campaign, form, message, 400)
    session = db()
    user = current_user()
    now = web_context().now()
    try:
        report = import_leads(
            session, campaign.id, data, columns, _region(form["region"]), now, user_id=user.id
        )
    except LeadFileError as exc:
        session.rollback()
        message = gettext("The file cannot be imported: {reason}", reason=str(exc))
        return _leads_form(campaign, form, message, 400)
    counts = {"rows": report.rows, "inserted": report.inserted, "rejected": len(report.rejected)}
    audit("leads_import", f"campaign:{campaign.name}", file=filename, **counts)
    session.commit()
    figures_cache().forget_campaign(campaign.id)
    token = report_store().add(
        UploadReport(
            kind="leads",
            owner_id=user.id,
            created_at=now,
            filename=filename,
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            counts=counts,
            header=report.header,
            rejected=report.rejected,
            warnings=report.warnings,
            encoding=report.encoding,
            delimiter=report.delimiter,
        )
    )
    return redirect(url_for("campaigns.upload_report", token=token), 303)


def _leads_form(
    campaign: Campaign, form: dict[str, str], error: str | None = None, status: int = 200
) -> Any:
    return (
        render_template(
            "campaigns/import.html",
            campaign=campaign,
            form=form,
            error=error,
            max_mb=web_context().settings.web.max_upload_mb,
        ),
        status,
    )


@blueprint.route("/dnc", methods=["GET", "POST"])
@roles(*SUPERVISING)
def import_dnc_page() -> Any:
    site = web_context().settings.site
    if request.method == "GET":
        chosen = request.args.get("campaign", "")
        return _dnc_form({"region": site.default_region, "source": "import", "scope": chosen})
    form = {key: request.form.get(key, "") for key in ("scope", "region", "source")}
    filename, data, problem = _uploaded()
    if problem is not None:
        return _dnc_form(form, problem, 400)
    campaign = None
    if form["scope"].strip():
        if not form["scope"].isdigit():
            return _dnc_form(form, gettext("Choose the global list or a campaign."), 400)
        campaign = _campaign(int(form["scope"]))
    source = form["source"].strip() or "import"
    if len(source) > SOURCE_MAX_CHARS:
        message = gettext("The source is at most {n} characters, e.g. tps or complaints.", n=32)
        return _dnc_form(form, message, 400)
    session = db()
    user = current_user()
    now = web_context().now()
    try:
        report = import_dnc(
            session,
            data,
            _region(form["region"]),
            campaign.id if campaign else None,
            source,
            now=now,
            user_id=user.id,
        )
    except (LeadFileError, ValueError) as exc:
        session.rollback()
        message = gettext("The file cannot be imported: {reason}", reason=str(exc))
        return _dnc_form(form, message, 400)
    counts = {
        "added": report.added,
        "already_listed": report.updated,
        "repeated": report.repeated,
        "rejected": len(report.rejected),
    }
    target = f"campaign:{campaign.name}" if campaign else "dnc:global"
    audit("dnc_import", target, file=filename, source=source, **counts)
    session.commit()
    token = report_store().add(
        UploadReport(
            kind="dnc",
            owner_id=user.id,
            created_at=now,
            filename=filename,
            campaign_id=campaign.id if campaign else None,
            campaign_name=campaign.name if campaign else None,
            counts=counts,
            header=(),
            rejected=report.rejected,
            warnings=tuple(RowWarning(0, warning) for warning in report.warnings),
        )
    )
    return redirect(url_for("campaigns.upload_report", token=token), 303)


def _dnc_form(form: dict[str, str], error: str | None = None, status: int = 200) -> Any:
    campaigns = db().execute(select(Campaign.id, Campaign.name).order_by(Campaign.name)).all()
    return (
        render_template(
            "campaigns/dnc.html",
            form=form,
            error=error,
            campaigns=campaigns,
            max_mb=web_context().settings.web.max_upload_mb,
        ),
        status,
    )


def _report(token: str) -> UploadReport:
    report = report_store().get(token, current_user().id, web_context().now())
    if report is None:
        abort(
            404,
            description=gettext(
                "This upload report is no longer kept (reports are kept for 12 hours, for the user who uploaded the file)."
            ),
        )
    return report


@blueprint.route("/uploads/<token>")
@roles(*SUPERVISING)
def upload_report(token: str) -> Any:
    report = _report(token)
    page = page_of(request.args.get("page"), REJECTED_PER_PAGE, len(report.rejected))
    rejected = report.rejected[page.offset : page.offset + page.size]
    width = max((len(row.raw) for row in rejected), default=0)
    header = list(report.header) + [""] * max(0, width - len(report.header))
    return render_template(
        "campaigns/report.html",
        report=report,
        token=token,
        page=page,
        rejected=rejected,
        header=header,
        warnings=report.warnings[:WARNINGS_SHOWN],
        more_warnings=max(0, len(report.warnings) - WARNINGS_SHOWN),
        delimiter=gettext("tab") if report.delimiter == "\t" else report.delimiter,
    )


@blueprint.route("/uploads/<token>/rejected.csv")
@roles(*SUPERVISING)
def rejected_csv(token: str) -> Any:
    """The rejected rows to fix and upload again: line, reason, then the row's cells."""
    report = _report(token)
    target = f"campaign:{report.campaign_name}" if report.campaign_name else "dnc:global"
    audit(
        "upload_rejects_download",
        target,
        kind=report.kind,
        file=report.filename,
        rows=len(report.rejected),
    )
    db().commit()
    stem = secure_filename(report.filename.rsplit(".", 1)[0]) or "upload"
    return Response(
        _csv_text(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rejected-{stem}.csv"'},
    )


def _csv_text(report: UploadReport) -> Iterator[str]:
    """The CSV in pieces, a BOM first so that spreadsheets read it as UTF-8."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(rejects_csv_rows(report.header, report.rejected)):
        writer.writerow(row)
        if number % 1000 == 999:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Any:
    """An upload over ``[web] max_upload_mb``: said plainly, with the way back."""
    message = upload_message(UploadProblem.TOO_LARGE, web_context().settings.web.max_upload_mb)
    return render_template("campaigns/upload_refused.html", message=message), 413
