"""``asterisk-cc web``: the dashboard served by Waitress (threads; each open wallboard or agent
desktop holds one for its live stream, so ``[web] threads`` bounds the open screens).

It refuses to start without ``[web] secret_key`` (exit 2) or with a database that is not there
or not migrated (exit 3). The live feed (:mod:`asterisk_cc.web.live`) starts with it; when
Asterisk or the controller is down, the pages still serve and show the link as down. SIGTERM or
SIGINT ends the live streams, then the server.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from types import FrameType

import waitress

from asterisk_cc.ari.control import ControllerClient, controller_url_of
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine
from asterisk_cc.errors import ConfigError
from asterisk_cc.web.app import create_app
from asterisk_cc.web.live import build_live_feed

logger = logging.getLogger(__name__)


def settle_long_lived_objects() -> None:
    """Take what exists at start-up (modules, the models' metadata, the application: some
    200,000 objects that live as long as the process) out of the garbage collector's sight.

    Every full collection walked them all, about 140 ms on the machine of docs/performance.md,
    and the page that met one was that much slower: a large page like the daily pack's made
    enough objects to meet one every ten views (p95 250 ms; 85 ms once frozen)."""
    gc.collect()
    gc.freeze()


def serve(settings: Settings, *, stop: threading.Event | None = None) -> int:
    """Serve until SIGTERM/SIGINT (or ``stop``, for tests); the exit code."""
    if not settings.web.secret_key:
        raise ConfigError(
            "the dashboard needs [web] secret_key (a long random string) to sign its sessions: "
            "set it in the configuration file or ASTERISK_CC_WEB_SECRET_KEY"
        )
    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    controller = ControllerClient(
        controller_url_of(settings), control_token(settings.web.secret_key), timeout_s=5.0
    )
    live = build_live_feed(settings, engine)
    app = create_app(settings, engine, controller=controller, live=live)
    server = waitress.create_server(
        app,
        host=settings.web.bind,
        port=settings.web.port,
        threads=settings.web.threads,
        ident="asterisk-cc",
        clear_untrusted_proxy_headers=True,
    )
    stopping = stop or threading.Event()

    def end(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, end)
    settle_long_lived_objects()
    live.start()

    def run_until_closed() -> None:
        try:
            server.run()
        except OSError:
            # Closing the server closes the sockets its loop may be waiting on in select():
            # at shutdown that ends the loop with EBADF, which is the end wanted.
            if not stopping.is_set():
                raise

    runner = threading.Thread(target=run_until_closed, name="web-server", daemon=True)
    runner.start()
    logger.info("dashboard on http://%s:%s", settings.web.bind, server.effective_port)
    try:
        stopping.wait()
        logger.info("dashboard stopping")
    finally:
        live.stop()
        # The worker threads first: closing the server closes the pipe that wakes its loop,
        # which the threads finishing their streams still write to.
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        server.close()
        runner.join(timeout=5)
        controller.close()
        engine.dispose()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    logger.info("dashboard stopped")
    return 0
