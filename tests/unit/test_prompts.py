"""Prompts built from text with the real espeak-ng and sox: format, safety, no overwrite."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import wave
from pathlib import Path

import pytest

from asterisk_cc.agi.prompts import (
    PLAYABLE_EXTENSIONS,
    VOICES,
    BuildReport,
    PromptBuildError,
    PromptText,
    build_missing,
    build_prompt,
    find_sound,
)

TOOLS = ("espeak-ng", "sox")


@pytest.fixture(autouse=True)
def _tools_installed() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install espeak-ng sox)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def assert_asterisk_wav(path: Path) -> None:
    with wave.open(str(path), "rb") as audio:
        assert audio.getframerate() == 8000
        assert audio.getnchannels() == 1
        assert audio.getsampwidth() == 2
        assert audio.getcomptype() == "NONE"
        assert audio.getnframes() / audio.getframerate() >= 0.3


def test_builds_english_prompt(tmp_path: Path) -> None:
    item = PromptText("en", "asterisk-cc/hotline/welcome", "Welcome to the customer hotline.")
    path = build_prompt(item, tmp_path)
    assert path == tmp_path / "en" / "asterisk-cc" / "hotline" / "welcome.wav"
    assert_asterisk_wav(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert find_sound(tmp_path, "en", "asterisk-cc/hotline/welcome") == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["welcome.wav"]


def test_builds_chinese_prompt(tmp_path: Path) -> None:
    item = PromptText("zh", "asterisk-cc/hotline/welcome", "欢迎致电客户服务热线，请按1。")
    path = build_prompt(item, tmp_path)
    assert path == tmp_path / "zh" / "asterisk-cc" / "hotline" / "welcome.wav"
    assert_asterisk_wav(path)


def test_voices_are_installed() -> None:
    for lang, voice in VOICES.items():
        listing = subprocess.run(
            ["espeak-ng", f"--voices={lang}"], capture_output=True, text=True, check=True
        ).stdout
        assert voice in listing.split(), f"{voice} not listed by espeak-ng --voices={lang}"


def test_chinese_voice_speaks_mandarin_not_english_pinyin() -> None:
    # The plain cmn voice of espeak-ng 1.51 switches to English for each character's pinyin.
    phonemes = subprocess.run(
        ["espeak-ng", "-q", "-x", "-v", VOICES["zh"], "--", "您好"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "(en)" not in phonemes
    assert phonemes.strip()


def test_text_is_spoken_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = (
        f"您好 \"引号\" '单引号' $(touch {marker}) `touch {marker}`\n"
        f"; touch {marker} && rm -rf / | cat\n-v 再见"
    )
    item = PromptText("zh", "asterisk-cc/test/quotes", text)
    path = build_prompt(item, tmp_path / "sounds")
    assert_asterisk_wav(path)
    assert not marker.exists()


def test_studio_recording_is_present_and_kept(tmp_path: Path) -> None:
    studio = tmp_path / "zh" / "asterisk-cc" / "hotline" / "welcome.gsm"
    studio.parent.mkdir(parents=True)
    studio.write_bytes(b"studio recording")
    items = [
        PromptText("zh", "asterisk-cc/hotline/welcome", "欢迎致电"),
        PromptText("zh", "asterisk-cc/hotline/goodbye", "再见"),
    ]
    messages: list[str] = []
    report = build_missing(items, tmp_path, progress=messages.append)
    assert report.present == (studio,)
    assert report.built == (studio.parent / "goodbye.wav",)
    assert studio.read_bytes() == b"studio recording"
    assert not (studio.parent / "welcome.wav").exists()
    assert messages == ["[1/1] zh asterisk-cc/hotline/goodbye"]
    assert report.summary() == "1 prompt(s) built, 1 already present"
    with pytest.raises(PromptBuildError, match="already present"):
        build_prompt(items[0], tmp_path)
    assert studio.read_bytes() == b"studio recording"


def test_every_playable_extension_counts(tmp_path: Path) -> None:
    assert "wav" in PLAYABLE_EXTENSIONS and "gsm" in PLAYABLE_EXTENSIONS
    for extension in PLAYABLE_EXTENSIONS:
        sounds = tmp_path / extension
        (sounds / "en" / "a").mkdir(parents=True)
        (sounds / "en" / "a" / f"b.{extension}").write_bytes(b"x")
        assert find_sound(sounds, "en", "a/b") == sounds / "en" / "a" / f"b.{extension}"
    assert find_sound(tmp_path / "wav", "zh", "a/b") is None
    assert find_sound(tmp_path / "wav", "en", "a/c") is None


def test_identical_items_are_built_once(tmp_path: Path) -> None:
    item = PromptText("en", "asterisk-cc/menu/main", "Press one for sales.")
    messages: list[str] = []
    report = build_missing(
        [item, item, PromptText("en", "asterisk-cc/menu/main", "Press one for sales.")],
        tmp_path,
        progress=messages.append,
    )
    assert report == BuildReport(built=(tmp_path / "en/asterisk-cc/menu/main.wav",), present=())
    assert messages == ["[1/1] en asterisk-cc/menu/main"]
    again = build_missing([item], tmp_path, progress=messages.append)
    assert again == BuildReport(built=(), present=(tmp_path / "en/asterisk-cc/menu/main.wav",))
    assert len(messages) == 1


def test_progress_counts_prompts_to_build(tmp_path: Path) -> None:
    messages: list[str] = []
    build_missing(
        [PromptText("en", "p/one", "One."), PromptText("zh", "p/one", "一")],
        tmp_path,
        progress=messages.append,
    )
    assert messages == ["[1/2] en p/one", "[2/2] zh p/one"]


@pytest.mark.parametrize(
    "name", ["../x", "/abs", "A B", "a/../b", "a//b", "a/", "", "a.wav", "Welcome"]
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="sound name"):
        PromptText("en", name, "Hello.")


def test_bad_language_and_empty_text_are_refused() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        PromptText("fr", "a/b", "Bonjour.")
    with pytest.raises(ValueError, match="no text"):
        PromptText("zh", "a/b", "  \n")


def test_missing_tools_name_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    espeak = shutil.which("espeak-ng")
    assert espeak is not None
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    item = PromptText("en", "a/b", "Hello.")
    with pytest.raises(PromptBuildError, match="espeak-ng") as caught:
        build_prompt(item, tmp_path / "sounds")
    assert "apt-get install espeak-ng sox" in str(caught.value)
    assert caught.value.exit_code == 1

    # espeak-ng present, sox missing: the message names sox.
    (empty / "espeak-ng").symlink_to(espeak)
    with pytest.raises(PromptBuildError, match="Debian package sox"):
        build_prompt(item, tmp_path / "sounds")
    assert not (tmp_path / "sounds" / "en" / "a" / "b.wav").exists()


def test_failing_tool_reports_its_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    espeak = shutil.which("espeak-ng")
    assert espeak is not None
    (tools / "espeak-ng").symlink_to(espeak)
    failing_sox = tools / "sox"
    failing_sox.write_text("#!/bin/sh\necho 'sox FAIL formats: broken on purpose' >&2\nexit 2\n")
    failing_sox.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    sounds = tmp_path / "sounds"
    with pytest.raises(
        PromptBuildError, match=r"sox failed .*: sox FAIL formats: broken on purpose"
    ):
        build_prompt(PromptText("en", "a/b", "Hello."), sounds)
    assert list((sounds / "en" / "a").iterdir()) == []
