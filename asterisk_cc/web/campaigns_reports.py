"""What the campaign pages keep between requests: the validation reports of lead and
do-not-call uploads, and the short-lived cache of campaign figures.

An upload is imported once (its POST), then its report is shown page by page and its rejected
rows downloaded as CSV (GETs): the report is kept here meanwhile, in the dashboard's memory,
under a random token and for the user who uploaded it only. The dashboard is one process
(Waitress threads), so every request sees the same store. Reports are dropped after
:data:`KEEP_FOR`, and only the latest :data:`MAX_REPORTS` are kept, so a busy day does not
fill the memory; the database keeps what was imported, and the audit log the counts.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from asterisk_cc.core.dialer.lead_csv import RejectedRow, RowWarning
from asterisk_cc.web.campaigns_data import FiguresCache
from asterisk_cc.web.context import web_context

KEEP_FOR: Final = timedelta(hours=12)
MAX_REPORTS: Final = 40
_EXTRAS_KEY: Final = "campaign_upload_reports"
_FIGURES_KEY: Final = "campaign_figures_cache"


@dataclass(frozen=True)
class UploadReport:
    """What one upload did. ``kind`` is ``leads`` or ``dnc``; ``counts`` the figures the
    report page shows (inserted, rejected... for leads; added, already listed... for DNC)."""

    kind: str
    owner_id: int
    created_at: datetime
    filename: str
    campaign_id: int | None
    campaign_name: str | None
    counts: dict[str, int]
    header: tuple[str, ...]
    rejected: tuple[RejectedRow, ...]
    warnings: tuple[RowWarning, ...]
    encoding: str = ""
    delimiter: str = ""


class ReportStore:
    """Reports by token, oldest dropped first; safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reports: OrderedDict[str, UploadReport] = OrderedDict()

    def add(self, report: UploadReport) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._drop_old(report.created_at)
            self._reports[token] = report
            while len(self._reports) > MAX_REPORTS:
                self._reports.popitem(last=False)
        return token

    def get(self, token: str, owner_id: int, now: datetime) -> UploadReport | None:
        """The report, when it is still kept and belongs to ``owner_id``."""
        with self._lock:
            self._drop_old(now)
            report = self._reports.get(token)
        if report is None or report.owner_id != owner_id:
            return None
        return report

    def _drop_old(self, now: datetime) -> None:
        for token in [t for t, r in self._reports.items() if now - r.created_at > KEEP_FOR]:
            del self._reports[token]


_CREATING = threading.Lock()


def report_store() -> ReportStore:
    """The application's store (made on first use)."""
    extras = web_context().extras
    with _CREATING:
        store = extras.get(_EXTRAS_KEY)
        if not isinstance(store, ReportStore):
            store = extras[_EXTRAS_KEY] = ReportStore()
    return store


def figures_cache() -> FiguresCache:
    """The application's cache of campaign figures (made on first use)."""
    extras = web_context().extras
    with _CREATING:
        cache = extras.get(_FIGURES_KEY)
        if not isinstance(cache, FiguresCache):
            cache = extras[_FIGURES_KEY] = FiguresCache()
    return cache
