"""Reports built once and shown many times: the daily pack, range tables and the calls behind
a figure take seconds to minutes for a busy site, so a page never builds them while it waits.

:class:`BuildCache` runs each build in a background thread (at most :data:`MAX_BUILDS` at
once across the dashboard) and keeps the result under its key. A page asks for a key, waits a
moment (``wait_s``) and either shows the result or says it is being prepared (the page then
reloads by itself). A result is kept for as long as
:func:`~asterisk_cc.core.reports.cache_policy.keep_for` says (a past period: until the cache
needs the room; today: a few minutes), and the cache is bounded by the number of entries and
by their total weight (a list of calls weighs its length).

:class:`PackStore` keeps final daily packs on disk as JSON (one file per day, the oldest
removed beyond :data:`MAX_STORED_PACKS`), so a restart of the dashboard does not build them
again.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from asterisk_cc.core.reports.pack import DailyPack
from asterisk_cc.core.reports.pack_codec import pack_from_data, pack_to_data

__all__ = ["MAX_BUILDS", "BuildCache", "Entry", "PackStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BUILDS: Final = 2
"""Reports built at the same time: more would slow the dashboard's pages for everyone."""
_BUILD_SLOTS = threading.BoundedSemaphore(MAX_BUILDS)

MAX_STORED_PACKS: Final = 400
"""Daily packs kept on disk: more than a year of days."""


@dataclass
class Entry(Generic[T]):
    """One build: running until ``done`` is set, then ``value`` or ``error``."""

    key: Hashable
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: str | None = None
    weight: int = 1
    expires: float | None = None
    """``time.monotonic()`` after which the value is stale; None: final."""

    @property
    def ready(self) -> bool:
        return self.done.is_set() and self.error is None

    def stale(self, now: float) -> bool:
        if not self.done.is_set():
            return False
        return self.error is not None or (self.expires is not None and now >= self.expires)


class BuildCache(Generic[T]):
    """Values built in the background under a key, at most ``max_entries`` of them and
    ``max_weight`` in all (the least recently used go first; builds still running stay)."""

    def __init__(
        self,
        name: str,
        *,
        max_entries: int,
        max_weight: int | None = None,
        weigh: Callable[[T], int] = lambda _value: 1,
    ) -> None:
        self.name = name
        self.max_entries = max_entries
        self.max_weight = max_weight
        self._weigh = weigh
        self._entries: OrderedDict[Hashable, Entry[T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        key: Hashable,
        build: Callable[[], T],
        *,
        keep_for: Callable[[T], timedelta | None],
        wait_s: float,
    ) -> Entry[T]:
        """The entry of ``key``, building it (in the background) when it is missing or stale;
        waits up to ``wait_s`` for a build to finish."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.stale(time.monotonic()):
                entry = Entry(key)
                self._entries[key] = entry
                threading.Thread(
                    target=self._run,
                    args=(entry, build, keep_for),
                    name=f"{self.name}-build",
                    daemon=True,
                ).start()
            self._entries.move_to_end(key)
        entry.done.wait(wait_s)
        return entry

    def forget(self, key: Hashable) -> None:
        """Drop ``key`` (a build under way finishes but is not kept)."""
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _run(
        self, entry: Entry[T], build: Callable[[], T], keep_for: Callable[[T], timedelta | None]
    ) -> None:
        try:
            with _BUILD_SLOTS:
                value = build()
            keep = keep_for(value)
            entry.value = value
            entry.weight = max(1, self._weigh(value))
            entry.expires = None if keep is None else time.monotonic() + keep.total_seconds()
        except Exception as error:  # shown on the page; the next visit tries again
            logger.exception("report build %s %r failed", self.name, entry.key)
            entry.error = str(error) or type(error).__name__
        finally:
            entry.done.set()
            self._trim()

    def _trim(self) -> None:
        with self._lock:
            while len(self._entries) > 1:
                total = sum(e.weight for e in self._entries.values())
                if len(self._entries) <= self.max_entries and (
                    self.max_weight is None or total <= self.max_weight
                ):
                    return
                oldest = next(
                    (k for k, e in self._entries.items() if e.done.is_set()),
                    None,
                )
                if oldest is None:
                    return
                del self._entries[oldest]


class PackStore:
    """Final daily packs as JSON files in ``folder`` (``pack-YYYY-MM-DD.json``)."""

    def __init__(self, folder: Path, max_files: int = MAX_STORED_PACKS) -> None:
        self.folder = folder
        self.max_files = max_files

    def _path(self, day: date) -> Path:
        return self.folder / f"pack-{day.isoformat()}.json"

    def load(self, day: date) -> DailyPack | None:
        path = self._path(day)
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            return pack_from_data(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("stored pack %s unreadable, building it again: %s", path, error)
            return None

    def save(self, pack: DailyPack) -> None:
        """Write ``pack`` (atomically: a reader never sees half a file); a folder that cannot
        be written is logged, not fatal — the pack is still shown from memory."""
        path = self._path(pack.day)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(pack_to_data(pack), file, ensure_ascii=False)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            self._trim()
        except OSError as error:
            logger.warning("cannot keep the pack of %s in %s: %s", pack.day, self.folder, error)

    def remove(self, day: date) -> None:
        try:
            self._path(day).unlink(missing_ok=True)
        except OSError as error:
            logger.warning("cannot remove the stored pack of %s: %s", day, error)

    def _trim(self) -> None:
        files = sorted(self.folder.glob("pack-*.json"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.max_files)]:
            old.unlink(missing_ok=True)
