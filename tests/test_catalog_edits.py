"""The offices may edit a translation: tests name texts by msgid, so an edited catalog breaks none of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import LOCALES_DIR, Languages
from storage.store import Store
from tests import texts
from tests.chat import Chat
from tests.texts import city, de

EDITS = {
    'msgstr "Einstellungen"': 'msgstr "Meine Einstellungen"',
    'msgstr "Was möchten Sie tun?"': 'msgstr "Was möchten Sie als Nächstes tun?"',
    'msgstr "Sprache: {language}"': 'msgstr "Ihre Sprache: {language}"',
}


def edited_catalogs(where: Path) -> Path:
    """A copy of locales/ with a few German texts reworded, as an office would in its .po file."""
    copy = where / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    po = copy / "de" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    for old, new in EDITS.items():
        assert old in text, f"{old} is no longer in the German catalog: choose another text to edit here"
        text = text.replace(old, new)
    po.write_text(text, encoding="utf-8")
    return copy


async def test_a_journey_passes_after_the_german_texts_were_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: Content, store: Store
) -> None:
    catalogs = edited_catalogs(tmp_path)
    monkeypatch.setattr(texts, "locales_dir", catalogs)
    engine = Engine(content, Languages(content.languages, catalogs), store)
    try:
        erika = Chat(engine, "erika")
        await erika.onboard(city=city("heidenheim"))
        assert erika.sees("Was möchten Sie als Nächstes tun?"), "the edit reaches the resident"
        assert erika.sees(de("What would you like to do?"))
        await erika.presses(de("Settings"))
        assert erika.sees(de("Language: {language}", language="Deutsch"))
        assert erika.sees(de("City: {city}", city=city("heidenheim")))
        await erika.presses(de("Back"))
        assert erika.sees_button("Meine Einstellungen")
    finally:
        engine.close()
