"""A running private Asterisk 22: start, stop, inspect, and place scripted calls.

One instance = a name, a state directory on the host (``/var/lib/asterisk-cc/sandbox/<name>``:
``sandbox.json`` with its ports and random secrets, mode 0600, and ``asterisk.out``, Asterisk's
console output) and a private Asterisk tree inside the shared rootfs
(``<rootfs>/srv/asterisk-cc/<name>/{etc,run,log,lib,spool,cache}``).

Asterisk runs as ``chroot <rootfs> asterisk -f -n -C <tree>/etc/asterisk.conf`` inside a
private mount namespace (``unshare --mount``) that bind-mounts /proc, /dev (with /dev/pts) and
/sys into the rootfs. The mounts exist only in that namespace: nothing is mounted on the host,
several instances can share the rootfs without unmounting each other's /proc, and the mounts
disappear with the process even if it is killed. CLI commands (``asterisk -rx``) join the
same namespace with ``nsenter``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from asterisk_cc.ami.client import AmiClient
from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox import rootfs as rootfs_module
from asterisk_cc.sandbox.records import CdrFollower, QueueLogFollower
from asterisk_cc.sandbox.render import (
    CALLER_CONTEXT,
    CALLER_SCRIPT_VARIABLE,
    PROJECT_CONF_FILES,
    STOCK_FILES_TO_REMOVE,
    CallerScript,
    SandboxPorts,
    SandboxSpec,
    check_instance_name,
    render_client_toml,
    render_etc,
    render_stock_etc,
)

DEFAULT_NAME = "default"
DEFAULT_STATE_ROOT = Path("/var/lib/asterisk-cc/sandbox")
STATE_ROOT_ENV_VAR = "ASTERISK_CC_SANDBOX_STATE"
CONF_DIR_ENV_VAR = "ASTERISK_CC_CONF_DIR"
STATE_FILE = "sandbox.json"
CONSOLE_LOG = "asterisk.out"
BOOT_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 30.0
ROTATE_AT_BYTES = 10 * 1024 * 1024
# Files of the private etc that hold a secret: readable by root only.
SECRET_FILES = ("asterisk-cc/ari_asterisk_cc.conf", "asterisk-cc/manager_asterisk_cc.conf")

# Run inside the new mount namespace: mount, then become Asterisk (exec keeps the pid, so the
# pid Popen reports is Asterisk's own).
_MOUNT_AND_EXEC = """\
set -e
root=$1
shift
mount --bind /proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
exec chroot "$root" "$@"
"""

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    del message


def find_project_conf_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the project's Asterisk snippets are.

    ``ASTERISK_CC_CONF_DIR`` first; then the source checkout the package is imported from
    (``conf/asterisk`` next to the package), so a developer's edits are what the sandbox
    boots with even when an older copy was installed into the venv; then the copy ``pip
    install`` puts into ``<sys.prefix>/share/asterisk-cc/conf/asterisk``.
    """
    environ = os.environ if environ is None else environ
    if environ.get(CONF_DIR_ENV_VAR):
        return Path(environ[CONF_DIR_ENV_VAR])
    checkout = Path(__file__).resolve().parents[2] / "conf" / "asterisk"
    installed = Path(sys.prefix) / "share" / "asterisk-cc" / "conf" / "asterisk"
    for candidate in (checkout, installed):
        if (candidate / PROJECT_CONF_FILES[0]).is_file():
            return candidate
    raise SandboxError(
        f"cannot find the project's Asterisk snippets (conf/asterisk/*.conf): looked in "
        f"{checkout} and {installed}. Fix: set {CONF_DIR_ENV_VAR} to that directory."
    )


def read_project_conf(conf_dir: Path) -> dict[str, str]:
    files = {}
    for name in PROJECT_CONF_FILES:
        path = conf_dir / name
        try:
            files[name] = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SandboxError(
                f"cannot read {path} ({exc.strerror or exc}). Fix: restore it, or set "
                f"{CONF_DIR_ENV_VAR} to the conf/asterisk directory of asterisk-cc."
            ) from None
    return files


@dataclass(frozen=True)
class SandboxStatus:
    name: str
    running: bool
    pid: int | None
    ari_url: str
    ports: SandboxPorts
    ari_user: str
    ami_user: str
    state_dir: Path
    tree: Path

    def describe(self) -> str:
        return "\n".join(
            [
                f"sandbox {self.name}: {'running, pid ' + str(self.pid) if self.running else 'stopped'}",
                f"ARI URL     {self.ari_url}  (user {self.ari_user})",
                f"HTTP port   {self.ports.http}",
                f"AMI port    {self.ports.ami}  (user {self.ami_user})",
                f"FastAGI     127.0.0.1:{self.ports.agi}  (the dialplan's ASTERISK_CC_AGI)",
                f"state dir   {self.state_dir}  (secrets in {STATE_FILE})",
                f"Asterisk    {self.tree}  (etc, log/queue_log, log/cdr-csv/Master.csv)",
            ]
        )


@dataclass(frozen=True)
class PlacedCall:
    """A scripted call. ``callee_id`` is the channel the PBX serves (it runs the destination:
    the IVR's agi_uniqueid, the queue_log callid); ``caller_id`` is the scripted half; both
    share ``linkedid`` (the CDR rows of the call)."""

    caller_id: str
    callee_id: str
    linkedid: str
    destination: str


class Sandbox:
    """One named private Asterisk 22 instance.

    Creating the object reads the instance's saved ports and secrets (or makes new random
    secrets); nothing is written before :meth:`up` or :meth:`write_config`.
    """

    def __init__(
        self,
        name: str = DEFAULT_NAME,
        *,
        ports: SandboxPorts | None = None,
        state_root: Path | None = None,
        cache_dir: Path | None = None,
        progress: Progress = _quiet,
        stock: bool = False,
        test_queues: bool = True,
    ) -> None:
        check_instance_name(name)
        self.name = name
        # Stock mode: etc is Debian's packaged /etc/asterisk with only the changes that keep
        # the instance private (render_stock_etc); the project's snippets and #include lines
        # are the admin's to add, as docs/install.md says. Until then ARI is off, so `up` only
        # waits for the boot.
        self.stock = stock
        # The tests' own queues (SANDBOX_QUEUES, fixed scripted members); the demo does without
        # them, so its wallboard shows the site's queues only.
        self.test_queues = test_queues
        self.state_dir = (
            state_root or Path(os.environ.get(STATE_ROOT_ENV_VAR) or DEFAULT_STATE_ROOT)
        ) / name
        self.cache_dir = cache_dir or rootfs_module.cache_dir_from_env()
        self.progress = progress
        self._process: subprocess.Popen[bytes] | None = None
        saved = self._load_state()
        self._saved_ports = SandboxPorts(**saved["ports"]) if saved else None
        self.spec = SandboxSpec(
            name=name,
            ports=ports or self._saved_ports or SandboxPorts(),
            ari_password=saved["ari_password"] if saved else _random_secret(),
            ami_secret=saved["ami_secret"] if saved else _random_secret(),
        )

    # --- paths -----------------------------------------------------------------------------

    @property
    def rootfs(self) -> Path:
        return self.cache_dir / "rootfs"

    @property
    def tree(self) -> Path:
        """The private Asterisk tree, as seen from the host."""
        return self.rootfs / self.spec.tree.relative_to("/")

    @property
    def sounds_dir(self) -> Path:
        """Asterisk's sounds directory (astdatadir/sounds), as the host sees it."""
        return self.rootfs / "usr" / "share" / "asterisk" / "sounds"

    @property
    def queue_log_path(self) -> Path:
        return self.tree / "log" / "queue_log"

    @property
    def cdr_csv_path(self) -> Path:
        return self.tree / "log" / "cdr-csv" / "Master.csv"

    @property
    def console_log_path(self) -> Path:
        return self.state_dir / CONSOLE_LOG

    @property
    def ports(self) -> SandboxPorts:
        return self.spec.ports

    @property
    def ari_url(self) -> str:
        return self.spec.ari_url

    # --- state ------------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any] | None:
        path = self.state_dir / STATE_FILE
        try:
            saved: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SandboxError(
                f"cannot read {path} ({exc}). Fix: delete it (the sandbox makes new secrets) "
                "after `asterisk-cc sandbox down`."
            ) from None
        return saved

    def _save_state(self, pid: int | None) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        state = {
            "name": self.name,
            "ports": dataclasses.asdict(self.spec.ports),
            "ari_user": self.spec.ari_user,
            "ari_password": self.spec.ari_password,
            "ami_user": self.spec.ami_user,
            "ami_secret": self.spec.ami_secret,
            "rootfs": str(self.rootfs),
            "pid": pid,
        }
        path = self.state_dir / STATE_FILE
        temporary = path.with_suffix(".tmp")
        _write_private(temporary, json.dumps(state, indent=2))
        os.replace(temporary, path)
        self._saved_ports = self.spec.ports

    def _saved_pid(self) -> int | None:
        saved = self._load_state()
        pid = saved.get("pid") if saved else None
        return pid if isinstance(pid, int) else None

    # --- life cycle -------------------------------------------------------------------------

    def running_pid(self) -> int | None:
        """The pid of this instance's Asterisk, if it runs."""
        pid = self._process.pid if self._process and self._process.poll() is None else None
        pid = pid or self._saved_pid()
        if pid is None or not _is_alive(pid):
            return None
        # The pid may have been reused by another program since: check it is our Asterisk.
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        if str(self.spec.asterisk_conf).encode() in cmdline:
            return pid
        if self._process is not None and self._process.pid == pid:
            return pid  # still mounting, before exec of asterisk
        return None

    def up(self, *, boot_timeout_s: float = BOOT_TIMEOUT_S) -> SandboxStatus:
        """Start the instance (building the rootfs first if needed) and wait until booted."""
        rootfs_module.require_root("starting the Asterisk sandbox")
        rootfs_module.require_tools("unshare", "nsenter", "chroot", doing="the Asterisk sandbox")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.state_dir / "lock"):
            pid = self.running_pid()
            if pid is not None:
                if self._saved_ports not in (None, self.spec.ports):
                    raise SandboxError(
                        f"sandbox {self.name} already runs with other ports ({self._saved_ports}). "
                        f"Fix: `asterisk-cc sandbox down --name {self.name}` first."
                    )
                return self.status()
            rootfs = rootfs_module.ensure_rootfs(self.cache_dir, progress=self.progress)
            self.spec = dataclasses.replace(self.spec, module_dir=_module_dir(rootfs))
            self._check_ports_free()
            self.progress(
                f"writing the Asterisk configuration of sandbox {self.name} into {self.tree}"
            )
            self._prepare_tree(rootfs)
            self._save_state(pid=None)
            self.progress(
                f"starting Asterisk (HTTP/ARI {self.ports.http}, AMI {self.ports.ami}, "
                f"FastAGI {self.ports.agi})"
            )
            self._start(rootfs)
            try:
                self._wait_until_booted(boot_timeout_s, check_ari=not self.stock)
            except BaseException:
                self._stop(timeout_s=5)
                raise
        return self.status()

    def down(self, *, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop the instance (``core stop now``, then kill after ``timeout_s``). Idempotent."""
        if not self.state_dir.exists():
            return
        with _locked(self.state_dir / "lock"):
            self._stop(timeout_s=timeout_s)

    def _stop(self, *, timeout_s: float) -> None:
        pid = self.running_pid()
        if pid is not None:
            self.progress(f"stopping Asterisk of sandbox {self.name} (pid {pid})")
            try:
                self._asterisk_rx("core stop now", pid=pid, timeout_s=timeout_s)
                stopping = self._wait_for_exit(pid, timeout_s)
            except SandboxError:
                # No control socket yet (still booting) or not answering: signals instead.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
                stopping = self._wait_for_exit(pid, 3)
            if not stopping:
                self.progress(f"Asterisk did not stop within {timeout_s:g} s: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                if not self._wait_for_exit(pid, 10):
                    raise SandboxError(
                        f"Asterisk (pid {pid}) of sandbox {self.name} survived SIGKILL. Fix: "
                        "look at it with ps; it may be stuck in the kernel (D state)."
                    )
        if self._process is not None:
            self._process.wait()
            self._process = None
        if (self.state_dir / STATE_FILE).exists():
            self._save_state(pid=None)
        # The mounts lived in Asterisk's own namespace; anything mounted under the rootfs on the
        # host is a leftover from something else, and would keep a stale view: remove it when no
        # other instance is using the rootfs.
        if self.rootfs.exists() and not rootfs_module.processes_rooted_in(self.rootfs):
            rootfs_module.unmount_all_under(self.rootfs)

    def _wait_for_exit(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.pid == pid:
                if self._process.poll() is not None:
                    return True
            elif not _is_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def status(self) -> SandboxStatus:
        pid = self.running_pid()
        return SandboxStatus(
            name=self.name,
            running=pid is not None,
            pid=pid,
            ari_url=self.ari_url,
            ports=self.ports,
            ari_user=self.spec.ari_user,
            ami_user=self.spec.ami_user,
            state_dir=self.state_dir,
            tree=self.tree,
        )

    def _check_ports_free(self) -> None:
        for label, port in (("HTTP/ARI", self.ports.http), ("AMI", self.ports.ami)):
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    raise SandboxError(
                        f"the {label} port {port} of sandbox {self.name} is already in use on "
                        f"127.0.0.1. Fix: stop what uses it (ss -ltnp 'sport = :{port}') or "
                        "start the sandbox with other ports (--http-port, --ami-port)."
                    ) from None

    def _prepare_tree(self, rootfs: Path) -> None:
        tree = self.tree
        etc = tree / "etc"
        # etc is rewritten completely at every start: a stock copy of Debian's /etc/asterisk
        # (indications, musiconhold, features, ... as a stock PBX has them), then the sandbox's
        # own files on top. run is emptied so a stale control socket or pid file never misleads.
        for directory in (etc, tree / "run"):
            if directory.exists():
                shutil.rmtree(directory)
        shutil.copytree(rootfs / "etc/asterisk", etc, symlinks=True)
        for stock in () if self.stock else STOCK_FILES_TO_REMOVE:
            path = etc / stock
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        for sub in ("run", "log/cdr-csv", "lib/keys", "spool/asterisk-cc", "cache"):
            (tree / sub).mkdir(parents=True, exist_ok=True)
        (tree / "spool/recording").mkdir(exist_ok=True)  # ARI recordings; Asterisk never makes it
        _relative_sound_links(rootfs)
        # messages.log starts afresh, so a failed start shows this run's lines only; the
        # records (read from an offset by followers) are rotated only once they grow large.
        _rotate(tree / "log" / "messages.log", always=True)
        _rotate(tree / "log" / "queue_log")
        _rotate(tree / "log" / "cdr-csv" / "Master.csv")
        modules = os.listdir(rootfs / self.spec.module_dir.lstrip("/"))
        if self.stock:
            packaged = {
                path.name: path.read_text(encoding="utf-8", errors="replace")
                for path in etc.iterdir()
                if path.is_file() and path.suffix == ".conf"
            }
            rendered = render_stock_etc(self.spec, packaged, modules)
        else:
            rendered = render_etc(
                self.spec,
                read_project_conf(find_project_conf_dir()),
                modules,
                test_queues=self.test_queues,
            )
        for relative, text in rendered.items():
            path = etc / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if relative in SECRET_FILES:
                _write_private(path, text)
            else:
                path.write_text(text, encoding="utf-8")

    def _start(self, rootfs: Path) -> None:
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            _MOUNT_AND_EXEC,
            "sh",
            str(rootfs),
            "asterisk",
            "-f",
            "-n",
            "-C",
            str(self.spec.asterisk_conf),
        ]
        # Truncated at every start: the file is this run's console, and stays small.
        with open(self.console_log_path, "wb") as console:
            # Its own session: a Ctrl-C in the terminal that ran `sandbox up` does not reach it.
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        self._save_state(pid=self._process.pid)

    def _wait_until_booted(self, timeout_s: float, *, check_ari: bool = True) -> None:
        deadline = time.monotonic() + timeout_s
        control_socket = self.tree / "run" / "asterisk.ctl"
        assert self._process is not None
        while True:
            if self._process.poll() is not None:
                raise SandboxError(
                    f"Asterisk of sandbox {self.name} exited with code {self._process.returncode} "
                    f"while starting. Its output ({self.console_log_path}):\n{self._log_tail()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError(
                    f"Asterisk of sandbox {self.name} did not finish booting within "
                    f"{timeout_s:g} s. Its output ({self.console_log_path}):\n{self._log_tail()}"
                )
            if control_socket.exists():
                try:
                    output = self._asterisk_rx(
                        "core waitfullybooted", pid=self._process.pid, timeout_s=remaining
                    )
                except SandboxError:
                    output = ""
                if "fully booted" in output:
                    break
            time.sleep(0.1)
        if check_ari:
            self._check_ari_answers(deadline)

    def _check_ari_answers(self, deadline: float) -> None:
        """Booted is not enough: ARI (http.conf + ari.conf + the user) must answer."""
        last_error = ""
        while time.monotonic() < deadline:
            try:
                with self.ari_client(timeout_s=2) as ari:
                    response = ari.get("/asterisk/ping")
                if response.status_code == 200:
                    return
                last_error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                last_error = str(exc)
            time.sleep(0.1)
        raise SandboxError(
            f"Asterisk of sandbox {self.name} booted but ARI at {self.ari_url} does not answer "
            f"({last_error}). Its output ({self.console_log_path}):\n{self._log_tail()}"
        )

    def console_output(self) -> str:
        """What Asterisk printed since its last start (notices, warnings, errors)."""
        try:
            return self.console_log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, lines: int = 25) -> str:
        texts = []
        for path in (self.console_log_path, self.tree / "log" / "messages.log"):
            try:
                tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            texts.append(f"[{path.name}]\n" + ("\n".join(tail) or "(empty)"))
        return "\n".join(texts) or "(no output)"

    # --- talking to it ----------------------------------------------------------------------

    def cli(self, command: str, *, timeout_s: float = CLI_TIMEOUT_S) -> str:
        """Run an Asterisk CLI command (``asterisk -rx``) and return its output."""
        pid = self.running_pid()
        if pid is None:
            raise SandboxError(
                f"sandbox {self.name} is not running. Fix: asterisk-cc sandbox up --name {self.name}"
            )
        return self._asterisk_rx(command, pid=pid, timeout_s=timeout_s)

    def _asterisk_rx(self, command: str, *, pid: int, timeout_s: float) -> str:
        argv = [
            "nsenter",
            f"--target={pid}",
            "--mount",
            "chroot",
            str(self.rootfs),
            "asterisk",
            "-C",
            str(self.spec.asterisk_conf),
            "-rx",
            command,
        ]
        try:
            result = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise SandboxError(
                f"`asterisk -rx {command!r}` did not answer within {timeout_s:g} s"
            ) from None
        if result.returncode != 0:
            raise SandboxError(
                f"`asterisk -rx {command!r}` failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result.stdout

    @contextlib.contextmanager
    def ari_client(self, *, timeout_s: float = 10.0) -> Iterator[httpx.Client]:
        """An HTTP client for ARI: base URL and basic auth of this instance."""
        with httpx.Client(
            base_url=self.ari_url,
            auth=(self.spec.ari_user, self.spec.ari_password),
            timeout=timeout_s,
        ) as client:
            yield client

    def originate(
        self,
        endpoint: str,
        *,
        context: str,
        extension: str = "s",
        priority: int = 1,
        variables: Mapping[str, str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        caller_id: str = "",
        timeout_s: int = 30,
    ) -> dict[str, Any]:
        """Originate ``endpoint`` (e.g. ``Local/s@ctx/n``); once answered it runs
        ``extension@context``. Returns ARI's channel JSON."""
        params: dict[str, str | int] = {
            "endpoint": endpoint,
            "context": context,
            "extension": extension,
            "priority": priority,
            "timeout": timeout_s,
        }
        if channel_id:
            params["channelId"] = channel_id
        if other_channel_id:
            params["otherChannelId"] = other_channel_id
        if caller_id:
            params["callerId"] = caller_id
        with self.ari_client() as ari:
            try:
                response = ari.post(
                    "/channels", params=params, json={"variables": dict(variables or {})}
                )
            except httpx.HTTPError as exc:
                raise SandboxError(f"ARI at {self.ari_url} does not answer: {exc}") from None
        if response.status_code != 200:
            raise SandboxError(
                f"ARI refused to originate {endpoint}: HTTP {response.status_code} {response.text}"
            )
        channel: dict[str, Any] = response.json()
        return channel

    def place_call(
        self,
        destination: str,
        script: CallerScript,
        *,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
    ) -> PlacedCall:
        """A scripted caller calls ``destination`` (``exten@context``, e.g. ``demo@asterisk-cc-ivr``
        or ``support@asterisk-cc-queue``), runs ``script`` once answered, then hangs up.

        ``variables`` are set on the call (both halves of the Local channel), e.g.
        ``ASTERISK_CC_QUEUE_TIMEOUT``.
        """
        if "@" not in destination:
            raise SandboxError(f"destination {destination!r} must be exten@context")
        tag = uuid.uuid4().hex[:12]
        caller_id_, callee_id = f"sbx-{tag}-caller", f"sbx-{tag}-callee"
        self.originate(
            f"Local/{destination}/n",
            context=CALLER_CONTEXT,
            variables={**(variables or {}), CALLER_SCRIPT_VARIABLE: script.encode()},
            channel_id=caller_id_,
            other_channel_id=callee_id,
            caller_id=caller_id,
        )
        return PlacedCall(
            caller_id=caller_id_, callee_id=callee_id, linkedid=caller_id_, destination=destination
        )

    def channel_exists(self, channel_id: str) -> bool:
        with self.ari_client() as ari:
            return ari.get(f"/channels/{channel_id}").status_code == 200

    def hang_up(self, call: PlacedCall) -> None:
        """End ``call`` now, whatever it is doing (both halves; gone already is fine)."""
        with self.ari_client() as ari:
            for channel_id in (call.caller_id, call.callee_id):
                response = ari.delete(f"/channels/{channel_id}")
                if response.status_code not in (204, 404):
                    raise SandboxError(
                        f"ARI could not hang up {channel_id}: HTTP {response.status_code} "
                        f"{response.text}"
                    )
        self.wait_for_hangup(call, timeout_s=10)

    def wait_for_hangup(self, call: PlacedCall, *, timeout_s: float = 60.0) -> None:
        """Wait until both halves of ``call`` are gone."""
        deadline = time.monotonic() + timeout_s
        while any(self.channel_exists(c) for c in (call.caller_id, call.callee_id)):
            if time.monotonic() >= deadline:
                raise SandboxError(f"call {call.linkedid} still up after {timeout_s:g} s")
            time.sleep(0.2)

    def ami_client(self, *, timeout_s: float = 5.0) -> AmiClient:
        """A logged-in AMI connection to this instance (use it in a ``with`` block)."""
        return AmiClient.connect(
            "127.0.0.1",
            self.ports.ami,
            self.spec.ami_user,
            self.spec.ami_secret,
            timeout_s=timeout_s,
        )

    @contextlib.contextmanager
    def queue_member(
        self, queue: str, interface: str, member_name: str, *, paused: bool = False
    ) -> Iterator[None]:
        """``interface`` is a dynamic member of ``queue`` (AMI QueueAdd) until the block ends."""
        with self.ami_client() as ami:
            ami.action(
                "QueueAdd",
                Queue=queue,
                Interface=interface,
                MemberName=member_name,
                Paused="true" if paused else "false",
            )
        try:
            yield
        finally:
            with self.ami_client() as ami:
                ami.action("QueueRemove", Queue=queue, Interface=interface)

    def queue_log(self) -> QueueLogFollower:
        """Follows queue_log from now on."""
        return QueueLogFollower(self.queue_log_path)

    def cdr(self) -> CdrFollower:
        """Follows Master.csv from now on."""
        return CdrFollower(self.cdr_csv_path)

    def write_config(self, path: Path, *, database_url: str | None = None) -> Path:
        """Write an asterisk-cc TOML configuration targeting this sandbox (mode 0600)."""
        self._save_state(pid=self.running_pid())
        database_url = database_url or f"sqlite:///{self.state_dir / 'asterisk-cc.sqlite3'}"
        text = render_client_toml(
            self.spec,
            database_url=database_url,
            web_secret_key=secrets.token_hex(32),
            flows_dir=str(find_project_conf_dir().parent / "ivr"),
            sounds_dir=str(self.sounds_dir),
            queues_conf=str(self.tree / "etc" / "queues.conf"),
            call_recordings_dir=str(self.tree / "spool" / "recording"),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, text)
        return path


def _relative_sound_links(rootfs: Path) -> None:
    """Debian links sounds/en to /etc/alternatives/..., an absolute path that only means the
    right thing inside the chroot. The host builds and checks prompts there too (the IVR's
    sounds), so such links are made relative to the rootfs; Asterisk sees the same files."""
    sounds = rootfs / "usr" / "share" / "asterisk" / "sounds"
    if not sounds.is_dir():
        return
    for link in sounds.iterdir():
        if not link.is_symlink() or not os.readlink(link).startswith("/"):
            continue
        target = os.readlink(link)
        for _ in range(8):  # follow the chain of alternatives inside the rootfs
            inside = rootfs / target.lstrip("/")
            if not inside.is_symlink():
                break
            hop = os.readlink(inside)
            target = hop if hop.startswith("/") else str(Path(target).parent / hop)
        resolved = rootfs / target.lstrip("/")
        if not resolved.is_dir():
            continue
        temporary = link.with_name(f".{link.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.path.relpath(resolved, sounds))
        temporary.replace(link)


def _rotate(path: Path, *, always: bool = False) -> None:
    """Keep one previous copy (``<name>.1``) of a log that is restarted or too large."""
    with contextlib.suppress(FileNotFoundError):
        if always or path.stat().st_size > ROTATE_AT_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))


def _write_private(path: Path, text: str) -> None:
    """Write a file holding secrets: mode 0600 from its creation, never readable by others."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _random_secret() -> str:
    # Letters and digits only: the secret goes into Asterisk config files and TOML unquoted-safe.
    return secrets.token_hex(24)


def _module_dir(rootfs: Path) -> str:
    """Asterisk's module directory in the rootfs (its multiarch triplet depends on the CPU)."""
    found = sorted(rootfs.glob("usr/lib/*/asterisk/modules"))
    if not found:
        raise SandboxError(
            f"{rootfs} has no Asterisk modules (usr/lib/*/asterisk/modules). Fix: delete "
            f"{rootfs} so the sandbox builds it again."
        )
    return "/" + str(found[0].relative_to(rootfs))


def _is_alive(pid: int) -> bool:
    """True if ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the command name in parentheses, which may itself hold spaces.
    state = stat.rsplit(")", 1)[1].split()[0]
    if state in ("Z", "X"):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def free_loopback_ports(count: int) -> list[int]:
    """Ports nobody listens on right now on 127.0.0.1 (the kernel picks them; all are held
    until all are known, so they differ): for sandboxes and the servers beside them."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
