"""Every text the dashboard shows has its Chinese: templates' ``_("...")``, views'
``gettext("...")`` and the menu labels."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

import asterisk_cc.web
from asterisk_cc.web.i18n import chinese_catalogue, translate

WEB = Path(asterisk_cc.web.__file__).parent
LITERAL = re.compile(
    r"""\b(?:_|gettext|lazy_text)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
)


def shown_texts() -> set[str]:
    texts = set()
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        if "translations" in path.parts:
            continue
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            texts.add(match.group(1) or match.group(2))
    return texts


def test_every_shown_text_has_a_chinese_translation(web_app: Flask) -> None:
    catalogue = chinese_catalogue()
    texts = shown_texts()
    texts |= {item.label for item in web_app.jinja_env.globals.get("all_nav_items", [])}
    assert len(texts) > 10
    missing = sorted(text for text in texts if text not in catalogue)
    assert missing == []


def test_placeholders_survive_translation() -> None:
    catalogue = chinese_catalogue()
    for english, chinese in catalogue.items():
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", chinese)), (
            english
        )
    assert translate(
        "Too many failed log-ins: try again in {minutes} minutes.", "zh", minutes=15
    ) == ("登录失败次数过多：请 15 分钟后再试。")


def test_each_part_reads_its_own_translation_of_a_shared_word() -> None:
    """ "Ready" is an agent's state on the wallboard (空闲) and a button on the desktop (示闲)."""
    assert translate("Ready", "zh", part="wallboard") == "空闲"
    assert translate("Ready", "zh", part="desktop") == "示闲"
    # A text only another part translates still comes out Chinese.
    assert translate("Wallboard", "zh", part="qa") == "大屏监控"
