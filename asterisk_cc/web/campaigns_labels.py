"""The campaign pages' names for the dialer's values (statuses, modes, outcomes...), in the
reader's language. Each is written out as a literal so that the translation check sees it; a
value the dialer adds later is shown as stored rather than failing the page."""

from __future__ import annotations

from collections.abc import Callable

from asterisk_cc.core.campaign_view import UploadProblem
from asterisk_cc.web.i18n import gettext


def _lookup(labels: Callable[[], dict[str, str]], value: object) -> str:
    if value is None:
        return ""
    key = str(getattr(value, "value", value))
    return labels().get(key, key)


def _statuses() -> dict[str, str]:
    return {
        "draft": gettext("Draft"),
        "active": gettext("Active"),
        "paused": gettext("Dialing paused"),
        "finished": gettext("Finished"),
        "archived": gettext("Archived"),
    }


def _dial_modes() -> dict[str, str]:
    return {
        "preview": gettext("Preview"),
        "progressive": gettext("Progressive"),
        "predictive": gettext("Predictive"),
    }


def _lead_statuses() -> dict[str, str]:
    return {
        "pending": gettext("Waiting to be called"),
        "dialing": gettext("Being dialled"),
        "done": gettext("Done"),
        "exhausted": gettext("Out of attempts"),
        "dnc": gettext("Do not call"),
        "invalid": gettext("No valid number"),
        "cancelled": gettext("Cancelled"),
    }


def _outcomes() -> dict[str, str]:
    return {
        "human": gettext("Person answered"),
        "machine": gettext("Answering machine"),
        "no_answer": gettext("No answer"),
        "busy": gettext("Busy"),
        "congestion": gettext("Trunks full"),
        "invalid_number": gettext("Number does not exist"),
        "failed": gettext("Failed"),
        "cancelled": gettext("Cancelled"),
    }


def _definitions() -> dict[str, str]:
    return {
        "ftc_30d": gettext("FTC (US): per 30 days"),
        "fcc_30d": gettext("FCC (US): per 30 days"),
        "ofcom_daily": gettext("Ofcom (UK): per day"),
    }


def _machine_actions() -> dict[str, str]:
    return {
        "hangup": gettext("Hang up"),
        "message": gettext("Leave the message"),
        "retry": gettext("Call again later"),
    }


def _recordings() -> dict[str, str]:
    return {
        "all": gettext("Every answered call"),
        "none": gettext("None"),
        "on_demand": gettext("When the agent asks"),
    }


def _purposes() -> dict[str, str]:
    return {
        "list": gettext("Lead list"),
        "callbacks": gettext("Queue callbacks"),
    }


def _weekdays() -> dict[str, str]:
    return {
        "mon": gettext("Mon"),
        "tue": gettext("Tue"),
        "wed": gettext("Wed"),
        "thu": gettext("Thu"),
        "fri": gettext("Fri"),
        "sat": gettext("Sat"),
        "sun": gettext("Sun"),
    }


def _retry_outcomes() -> dict[str, str]:
    return {
        "busy": gettext("Busy"),
        "no_answer": gettext("No answer"),
        "machine": gettext("Answering machine"),
        "abandoned": gettext("Dropped (no agent in 2 s)"),
        "failed": gettext("Failed or cancelled"),
        "congestion": gettext("Trunks full"),
    }


def _actions() -> dict[str, str]:
    return {
        "start": gettext("Start dialing"),
        "pause": gettext("Pause dialing"),
        "stop": gettext("Stop campaign"),
    }


def status_label(value: object) -> str:
    return _lookup(_statuses, value)


def dial_mode_label(value: object) -> str:
    return _lookup(_dial_modes, value)


def lead_status_label(value: object) -> str:
    return _lookup(_lead_statuses, value)


def outcome_label(value: object) -> str:
    return _lookup(_outcomes, value)


def definition_label(value: object) -> str:
    return _lookup(_definitions, value)


def machine_action_label(value: object) -> str:
    return _lookup(_machine_actions, value)


def recording_label(value: object) -> str:
    return _lookup(_recordings, value)


def purpose_label(value: object) -> str:
    return _lookup(_purposes, value)


def weekday_label(value: object) -> str:
    return _lookup(_weekdays, value)


def retry_outcome_label(value: object) -> str:
    return _lookup(_retry_outcomes, value)


def action_label(value: object) -> str:
    return _lookup(_actions, value)


def upload_message(problem: UploadProblem, max_mb: int) -> str:
    """Why an upload was refused, naming the problem and what to do."""
    if problem is UploadProblem.MISSING:
        return gettext("No file was chosen: choose the CSV file to upload.")
    if problem is UploadProblem.EMPTY:
        return gettext("The file is empty: it needs a header row and at least one row.")
    if problem is UploadProblem.TOO_LARGE:
        return gettext(
            "The file is larger than the {mb} MB limit: split it into smaller files.", mb=max_mb
        )
    if problem is UploadProblem.SPREADSHEET:
        return gettext(
            "The file is a spreadsheet workbook (Excel or similar), not CSV: save it as CSV UTF-8 and upload that."
        )
    if problem is UploadProblem.NOT_CSV_NAME:
        return gettext("Only CSV files are accepted (.csv, .txt or .tsv).")
    return gettext(
        "The file holds binary data, not CSV text (or it is UTF-16 without a byte-order mark): save it as CSV UTF-8 and upload that."
    )


LABELS = {
    "status_label": status_label,
    "dial_mode_label": dial_mode_label,
    "lead_status_label": lead_status_label,
    "outcome_label": outcome_label,
    "definition_label": definition_label,
    "machine_action_label": machine_action_label,
    "recording_label": recording_label,
    "purpose_label": purpose_label,
    "weekday_label": weekday_label,
    "retry_outcome_label": retry_outcome_label,
    "action_label": action_label,
}
"""Given to the campaign templates."""
