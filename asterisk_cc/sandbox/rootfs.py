"""The Debian sid root filesystem that holds Asterisk 22, built once and cached.

Debian's ``asterisk`` package (22.x) is only in sid, so a bookworm host gets it with
``debootstrap --variant=minbase --include=asterisk,... sid DIR``. The build goes into a temporary
directory next to the cache and is renamed into place only when complete, so an interrupted
build is never mistaken for a usable rootfs. Builds are serialised with a lock file.

debootstrap runs in a private mount namespace (``unshare --mount``): the /proc and /sys it
mounts inside the target vanish when it exits, even if it fails or is killed, so a failed build
directory can be deleted without ever reaching into the host's /proc or /sys.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from asterisk_cc.errors import SandboxError

DEFAULT_CACHE_DIR = Path("/var/cache/asterisk-cc/sandbox")
CACHE_ENV_VAR = "ASTERISK_CC_SANDBOX_CACHE"
MIRROR_ENV_VAR = "ASTERISK_CC_SANDBOX_MIRROR"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUITE = "sid"
PACKAGES = ("asterisk", "asterisk-core-sounds-en-gsm", "asterisk-moh-opsound-gsm")
# Written last into a finished rootfs; a directory without it is not one of ours.
STAMP_FILE = ".asterisk-cc-rootfs"
BUILD_TIMEOUT_S = 20 * 60
# debootstrap output that means the mirror could not be reached.
NETWORK_FAILURE_MARKERS = (
    "Failed getting release file",
    "Failed getting release signature file",
    "Couldn't download",
    "Temporary failure resolving",
    "Could not resolve",
    "Connection refused",
    "Network is unreachable",
    "No route to host",
    "Connection timed out",
)

# debootstrap's stages, in order: the line that starts each, whether that line is a package
# line ("I: Retrieving libc6 2.41-12", not "I: Retrieving InRelease"), and what the stage does.
BUILD_STAGES = (
    ("I: Retrieving ", False, "reading the package lists"),
    ("I: Retrieving ", True, "downloading packages"),
    ("I: Installing core packages", False, "installing the core packages"),
    ("I: Unpacking required packages", False, "unpacking the required packages"),
    ("I: Configuring required packages", False, "configuring the required packages"),
    ("I: Unpacking the base system", False, "unpacking the base system"),
    ("I: Configuring the base system", False, "configuring the base system"),
    ("I: Base system installed", False, "base system installed"),
)
# debootstrap's one line per package: "I: Retrieving libc6 2.41-12", "I: Unpacking libc6...".
# Package names start in lower case and versions with a digit, which tells them apart from
# stage lines such as "I: Retrieving Release" or "I: Unpacking required packages...". (Each
# package downloaded is also validated, and some extracted: those lines would count it twice.)
_PACKAGE_LINE = re.compile(
    r"^I: (?:Retrieving|Unpacking|Configuring) "
    r"[a-z0-9][a-z0-9+.-]*(?: [0-9]\S*|\.\.\.)$"
)
BAR_WIDTH = 16

Progress = Callable[[str], None]


class DebootstrapProgress:
    """Turns debootstrap's output into a progress bar over its stages, with the number of
    packages done in the current stage every ``package_step`` packages. (debootstrap does not
    say in advance how many packages a stage has, so the bar counts stages, not packages.)
    Errors and warnings are passed on as they are."""

    def __init__(self, *, package_step: int = 25) -> None:
        self.package_step = package_step
        self.stage = -1
        self.packages = 0

    def feed(self, line: str) -> str | None:
        """The progress line to show for debootstrap's ``line``, or None."""
        if line.startswith(("E:", "W:")):
            return line
        is_package = _PACKAGE_LINE.match(line) is not None
        for index, (prefix, package_line, _) in enumerate(BUILD_STAGES):
            if index > self.stage and line.startswith(prefix) and is_package == package_line:
                self.stage, self.packages = index, int(is_package)
                return self._bar()
        if is_package and self.stage >= 0:
            self.packages += 1
            if self.packages % self.package_step == 0:
                return self._bar()
        return None

    def _bar(self) -> str:
        done = self.stage + 1
        filled = done * BAR_WIDTH // len(BUILD_STAGES)
        name = BUILD_STAGES[self.stage][2]
        counted = f": {self.packages} done" if self.packages else ""
        return (
            f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{len(BUILD_STAGES)} "
            f"{name}{counted}"
        )


def _quiet(message: str) -> None:
    del message


def cache_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(CACHE_ENV_VAR) or DEFAULT_CACHE_DIR)


def require_root(doing: str) -> None:
    if os.geteuid() != 0:
        raise SandboxError(
            f"{doing} needs root (it uses chroot, mount namespaces and bind mounts). Fix: run "
            "it as root, e.g. with sudo."
        )


def require_tools(*tools: str, doing: str) -> None:
    # Which Debian package brings each tool, for the fix in the message.
    packages = {"debootstrap": "debootstrap", "unshare": "util-linux", "nsenter": "util-linux"}
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        needed = sorted({packages.get(tool, "coreutils") for tool in missing})
        raise SandboxError(
            f"{doing} needs {', '.join(missing)}, which is not installed. Fix: apt-get install "
            f"{' '.join(needed)}"
        )


def rootfs_is_complete(rootfs: Path) -> bool:
    return (rootfs / STAMP_FILE).is_file() and (rootfs / "usr/sbin/asterisk").is_file()


def ensure_rootfs(
    cache_dir: Path | None = None, *, progress: Progress = _quiet, mirror: str | None = None
) -> Path:
    """The cached rootfs, built first if absent. Raises SandboxError saying what to fix."""
    cache_dir = cache_dir or cache_dir_from_env()
    rootfs = cache_dir / "rootfs"
    if rootfs_is_complete(rootfs):
        return rootfs
    require_root("building the Asterisk sandbox")
    require_tools("debootstrap", "unshare", doing="building the Asterisk sandbox")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxError(f"cannot create the sandbox cache {cache_dir}: {exc}") from None
    with _locked(cache_dir / "rootfs.lock"):
        # Another process may have finished the build while this one waited for the lock.
        if rootfs_is_complete(rootfs):
            return rootfs
        if rootfs.exists():
            users = processes_rooted_in(rootfs)
            if users:
                raise SandboxError(
                    f"{rootfs} is not a complete sandbox rootfs (no {STAMP_FILE}) but processes "
                    f"{', '.join(map(str, users))} run in it. Fix: stop them (asterisk-cc sandbox "
                    f"down), then delete {rootfs} so it is built again."
                )
            progress(f"{rootfs} is incomplete or not a sandbox rootfs: replacing it")
            _remove_tree(rootfs)
        _build(
            cache_dir, rootfs, progress, mirror or os.environ.get(MIRROR_ENV_VAR) or DEFAULT_MIRROR
        )
    return rootfs


def _build(cache_dir: Path, rootfs: Path, progress: Progress, mirror: str) -> None:
    for stale in cache_dir.glob("rootfs.building-*"):
        progress(f"removing an interrupted build: {stale}")
        _remove_tree(stale)
    building = cache_dir / f"rootfs.building-{os.getpid()}"
    command = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(building),
        mirror,
    ]
    progress(
        f"building the Asterisk 22 rootfs (Debian {SUITE}, {', '.join(PACKAGES)}) in {building}; "
        "this takes about a minute"
    )
    started = time.monotonic()
    try:
        output = _run_streaming(command, progress, timeout_s=BUILD_TIMEOUT_S)
    except BaseException:
        _remove_tree(building)
        raise
    if output.returncode != 0:
        log = _read_tail(building / "debootstrap/debootstrap.log", 15)
        _remove_tree(building)
        tail = "\n".join(output.lines[-15:])
        if any(marker in tail or marker in log for marker in NETWORK_FAILURE_MARKERS):
            raise SandboxError(
                f"debootstrap could not download Debian {SUITE} from {mirror}. Fix: check the "
                "network, DNS and any HTTP proxy (http_proxy), or set "
                f"{MIRROR_ENV_VAR} to a reachable Debian mirror. Last output:\n{tail}"
            )
        raise SandboxError(
            f"debootstrap failed (exit {output.returncode}) building the sandbox rootfs. Last "
            f"output:\n{tail}\n{log}".rstrip()
        )
    _stop_processes_rooted_in(building)
    # Downloaded packages are not needed any more: about 100 MB less in the cache.
    for deb in (building / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    (building / STAMP_FILE).write_text(
        f"suite={SUITE}\nmirror={mirror}\npackages={','.join(PACKAGES)}\n"
        f"built={datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}\n",
        encoding="utf-8",
    )
    os.rename(building, rootfs)
    progress(f"rootfs ready in {time.monotonic() - started:.0f} s: {rootfs}")


class _Output:
    def __init__(self, returncode: int, lines: list[str]) -> None:
        self.returncode = returncode
        self.lines = lines


def _run_streaming(command: list[str], progress: Progress, *, timeout_s: float) -> _Output:
    """Run, passing debootstrap's progress (and its errors) to ``progress`` as they come."""
    lines: list[str] = []
    stages = DebootstrapProgress()
    deadline = time.monotonic() + timeout_s
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        try:
            for raw in process.stdout:
                line = raw.rstrip()
                lines.append(line)
                # A bar per stage, not one line per package (there are about 200).
                shown = stages.feed(line)
                if shown:
                    progress(f"  {shown}")
                if time.monotonic() > deadline:
                    process.kill()
                    raise SandboxError(
                        f"building the sandbox rootfs took longer than {timeout_s:.0f} s and was "
                        "stopped. Fix: check the network speed to the Debian mirror, then retry."
                    )
        except KeyboardInterrupt:
            process.kill()
            raise
        returncode = process.wait()
    return _Output(returncode, lines)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def mounts_under(path: Path) -> list[Path]:
    """Mount points at or below ``path`` in this mount namespace, deepest first."""
    resolved = str(path.resolve())
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            # Field 5 is the mount point, with spaces and the like written as octal escapes.
            point = line.split()[4].encode().decode("unicode_escape")
            if point == resolved or point.startswith(resolved + "/"):
                found.append(Path(point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def unmount_all_under(path: Path) -> None:
    """Detach every mount below ``path``; raise if one stays."""
    for point in mounts_under(path):
        subprocess.run(["umount", "--lazy", str(point)], capture_output=True, check=False)
    left = mounts_under(path)
    if left:
        raise SandboxError(
            f"cannot unmount {', '.join(map(str, left))}. Fix: stop what uses them, then "
            f"umount them by hand before deleting {path}."
        )


def processes_rooted_in(path: Path) -> list[int]:
    """Processes whose root directory is ``path`` or below (i.e. chrooted into it)."""
    resolved = str(path.resolve())
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            root = os.readlink(entry / "root")
        except OSError:
            continue
        if root == resolved or root.startswith(resolved + "/"):
            pids.append(int(entry.name))
    return pids


def _stop_processes_rooted_in(path: Path) -> None:
    """A package's maintainer script may have started a daemon in the new rootfs: stop it."""
    for pid in processes_rooted_in(path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def _remove_tree(path: Path) -> None:
    """Delete a rootfs directory, never following a mount into the host's /proc, /sys or /dev.

    Only for directories no sandbox runs in: a build in progress or a rejected rootfs. A daemon
    that a package's maintainer script started in it is stopped first.
    """
    if not path.exists():
        return
    _stop_processes_rooted_in(path)
    unmount_all_under(path)
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        raise SandboxError(f"cannot delete {path}. Fix: delete it by hand (rm -rf {path}).")


def _read_tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
