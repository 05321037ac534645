"""The rootfs build shows a progress bar over debootstrap's stages."""

from __future__ import annotations

from asterisk_cc.sandbox.rootfs import DebootstrapProgress

PACKAGES = [f"pkg{i}" for i in range(60)]
# The shape of debootstrap's output for `--variant=minbase --include=...`, shortened.
TRANSCRIPT = [
    "I: Target architecture can be executed",
    "I: Retrieving InRelease ",
    "I: Checking Release signature",
    "I: Valid Release signature (key id 4D64FEC119C2029067D6E791F8D2585B8783D481)",
    "I: Retrieving Packages ",
    "I: Validating Packages ",
    "I: Resolving dependencies of required packages...",
    "I: Checking component main on http://deb.debian.org/debian...",
    *(
        line
        for i, p in enumerate(PACKAGES)
        for line in (f"I: Retrieving {p} 1.{i}-2", f"I: Validating {p} 1:{i}.0")
    ),
    "I: Extracting pkg0...",
    "I: Installing core packages...",
    "I: Unpacking required packages...",
    *(f"I: Unpacking {p}..." for p in PACKAGES[:30]),
    "I: Configuring required packages...",
    *(f"I: Configuring {p}..." for p in PACKAGES[:30]),
    "I: Unpacking the base system...",
    "I: Unpacking pkg31...",
    "W: Failure trying to run: chroot /x dpkg --force-depends --install /var/cache/apt/archives/a.deb",
    "I: Configuring the base system...",
    "I: Configuring pkg31...",
    "I: Base system installed successfully.",
]


def test_one_bar_line_per_stage_and_every_25_packages() -> None:
    stages = DebootstrapProgress(package_step=25)
    shown = [message for line in TRANSCRIPT if (message := stages.feed(line))]
    assert shown == [
        "[##--------------] 1/8 reading the package lists",
        "[####------------] 2/8 downloading packages: 1 done",
        "[####------------] 2/8 downloading packages: 25 done",
        "[####------------] 2/8 downloading packages: 50 done",
        "[######----------] 3/8 installing the core packages",
        "[########--------] 4/8 unpacking the required packages",
        "[########--------] 4/8 unpacking the required packages: 25 done",
        "[##########------] 5/8 configuring the required packages",
        "[##########------] 5/8 configuring the required packages: 25 done",
        "[############----] 6/8 unpacking the base system",
        "W: Failure trying to run: chroot /x dpkg --force-depends --install "
        "/var/cache/apt/archives/a.deb",
        "[##############--] 7/8 configuring the base system",
        "[################] 8/8 base system installed",
    ]


def test_stage_lines_are_not_packages_and_stages_never_go_back() -> None:
    stages = DebootstrapProgress(package_step=1)
    assert (
        stages.feed("I: Retrieving InRelease") == "[##--------------] 1/8 reading the package lists"
    )
    # A name with upper case or words after it is a stage line, never a package.
    assert stages.feed("I: Retrieving Packages") is None
    assert stages.feed("I: Unpacking the base system...") is not None
    assert stages.feed("I: Unpacking required packages...") is None
    assert stages.stage == 5
