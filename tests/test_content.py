"""The content file: validated with clear messages; another town runs on its own file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.content import ContentError, load_content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage.store import Store
from tests.chat import Chat
from tests.cli import run_cli
from tests.conftest import CONTENT_FILE, ROOT
from tests.texts import de


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "content.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def original() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(CONTENT_FILE.read_text(encoding="utf-8"))


def test_shipped_content_is_complete() -> None:
    content = load_content(CONTENT_FILE)
    assert [c.id for c in content.cities] == ["aalen", "heidenheim"]
    assert len(content.leitziele) == 5
    assert all(goal.charta for goal in content.leitziele)
    assert len(content.zielbilder) == 3
    assert [f.title["de"] for f in content.handlungsfelder] == [
        "Mobilität",
        "Klima, Umwelt und Energie",
        "Innenstadt und Erlebnisraum Stadt",
        "Digitale Verwaltung und Bürgerservice",
        "Bildung und digitale Teilhabe",
        "Gesundheit, Pflege und Soziales",
        "Wirtschaft, Handel und Arbeit",
        "Digitale Infrastruktur und Daten",
    ]
    assert all(f.working_title for f in content.handlungsfelder)


def test_the_cities_public_names_are_used() -> None:
    """Leitziele by the short names the cities use, in the order of the vision; two named Zielbilder."""
    content = load_content(CONTENT_FILE)
    assert [g.title["de"] for g in content.leitziele] == ["Lebenswert", "Nachhaltig", "Stark", "Innovativ", "Vernetzt"]
    assert not any(g.working_title for g in content.leitziele)
    assert [z.working_title for z in content.zielbilder] == [False, False, True]
    assert "resiliente digitale Infrastruktur" in content.zielbilder[0].title["de"]
    assert "nachhaltige, klimabewusste Stadt" in content.zielbilder[1].title["de"]
    assert "Bürgerinnen und Bürger haben" not in content.vision.long["de"]
    assert "Stadtgesellschaft" in content.vision.long["de"]


@pytest.mark.parametrize("language", ["en", "tr", "uk", "ar", "de@ls"])
def test_every_language_names_the_leitziele_by_short_names(language: str) -> None:
    """Each language names the Leitziele as the cities do: a short name each (one word in German),
    not the longer working titles of before."""
    content = load_content(CONTENT_FILE)
    titles = [goal.title[language] for goal in content.leitziele]
    assert len(set(titles)) == 5
    assert all(len(title.split()) <= 3 for title in titles), titles


@pytest.mark.parametrize("language", ["de", "en", "tr", "uk", "ar", "de@ls"])
def test_charta_terms_are_explained_in_one_line(language: str) -> None:
    content = load_content(CONTENT_FILE)
    explained = {
        term: explanation
        for item in [content.vision, *content.leitziele]
        for term, explanation in content.glosses(item, language)
    }
    expected = {
        "de": {"responsiv und sensitiv", "Kreislaufwirtschaft", "Stadtgesellschaft"},
        "en": {"responsive and sensitive", "circular economy", "community"},
        "tr": {"duyarlı ve özenli", "döngüsel ekonomi", "kent toplumu"},
        "uk": {"чуйні та уважні", "циркулярна економіка", "міська громада"},
        "ar": {"مستجيبة وحساسة", "الاقتصاد الدائري", "مجتمع المدينة"},
        "de@ls": {"hört gut zu und achtet auf alle", "Kreislauf·wirtschaft", "Stadt·gesellschaft"},
    }[language]
    assert expected <= explained.keys()
    assert all("\n" not in line and len(line.split()) <= 20 for line in explained.values())


def test_a_gloss_must_exist_and_speak_the_first_language(tmp_path: Path) -> None:
    data = original()
    data["leitziele"][0]["glosses"] = ["smart-city"]
    data["glossary"][0]["term"].pop("de")
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path, data))
    message = str(caught.value)
    assert "leitziele.0.glosses: 'smart-city' is not in the glossary" in message
    assert "glossary.0: no text for language 'de'" in message


def test_a_language_without_a_gloss_shows_none(tmp_path: Path) -> None:
    data = original()
    for gloss in data["glossary"]:
        gloss["term"].pop("en")
        gloss["explanation"].pop("en")
    content = load_content(write(tmp_path, data))
    assert content.glosses(content.vision, "en") == []
    assert content.glosses(content.vision, "de") != []


def test_missing_translation_names_file_field_and_fix(tmp_path: Path) -> None:
    data = original()
    del data["handlungsfelder"][2]["title"]["en"]
    path = write(tmp_path, data)
    with pytest.raises(ContentError) as caught:
        load_content(path)
    message = str(caught.value)
    assert str(path) in message
    assert "handlungsfelder.2.title" in message
    assert "no text for language 'en'" in message


def test_missing_section_and_unknown_field(tmp_path: Path) -> None:
    data = original()
    del data["vision"]
    data["cities"][0]["population"] = 68000
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path, data))
    message = str(caught.value)
    assert "field 'vision': this field is required" in message
    assert "field 'cities.0.population': unknown field" in message


def test_duplicate_ids(tmp_path: Path) -> None:
    data = original()
    data["handlungsfelder"][1]["id"] = data["handlungsfelder"][0]["id"]
    with pytest.raises(ContentError, match="handlungsfelder: the id 'mobilitaet' is used twice"):
        load_content(write(tmp_path, data))


def test_bad_id(tmp_path: Path) -> None:
    data = original()
    data["cities"][1]["id"] = "Heidenheim an der Brenz"
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path, data))
    assert "field 'cities.1.id': expected lowercase letters, digits and hyphens" in str(caught.value)


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("cities: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match="not valid YAML"):
        load_content(broken)
    with pytest.raises(ContentError, match="file not found"):
        load_content(tmp_path / "nowhere.yaml")


def test_content_check_command(tmp_path: Path) -> None:
    ok = run_cli("content", "check", str(CONTENT_FILE))
    assert ok.returncode == 0
    assert "8 Handlungsfelder" in ok.stdout
    data = original()
    data["leitziele"][0]["charta"] = []
    bad = run_cli("content", "check", str(write(tmp_path, data)))
    assert bad.returncode == 2
    assert "leitziele.0.charta" in bad.stderr


def test_bot_refuses_to_start_with_a_wrong_content_file(tmp_path: Path) -> None:
    data = original()
    data["languages"] = ["de", "fr"]
    path = write(tmp_path, data)
    result = run_cli("run", env={"CONTENT_FILE": str(path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert result.returncode == 2
    assert str(path) in result.stderr
    assert "no text for language 'fr'" in result.stderr
    assert "Traceback" not in result.stderr


MUSTERSTADT = {
    "languages": ["de"],
    "name": {"de": "Digitale Musterstadt"},
    "cities": [{"id": "musterstadt", "name": {"de": "Musterstadt"}}],
    "vision": {"title": {"de": "Vision"}, "short": {"de": "Kurz."}, "long": {"de": "Lang."}},
    "leitziele": [
        {
            "id": "offen",
            "title": {"de": "Offen"},
            "short": {"de": "k"},
            "long": {"de": "l"},
            "charta": [{"de": "aufgeschlossen und innovativ"}],
        },
    ],
    "zielbilder": [{"id": "gruen", "title": {"de": "Grüne Stadt"}, "short": {"de": "k"}, "long": {"de": "l"}}],
    "handlungsfelder": [
        {"id": "wasser", "title": {"de": "Wasser"}, "short": {"de": "k"}, "long": {"de": "l"}},
        {"id": "licht", "title": {"de": "Licht"}, "short": {"de": "k"}, "long": {"de": "l"}},
    ],
}


async def test_another_town_runs_on_its_own_file(tmp_path: Path, store: Store) -> None:
    content = load_content(write(tmp_path, MUSTERSTADT))
    engine = Engine(content, Languages(content.languages), store)
    try:
        chat = Chat(engine, "bürgerin")
        await chat.says("/start")
        assert chat.labels() == ["Deutsch"]
        await chat.presses("Deutsch")
        await chat.presses("Musterstadt")
        assert chat.sees("Digitale Musterstadt")
        await chat.presses("Ideen nach Thema")
        assert chat.labels() == ["Wasser", "Licht", "Zurück"]
        await chat.presses("Licht")
        await chat.presses("Idee zu diesem Thema")
        await chat.presses("Einverstanden")
        await chat.says("Laternen mit Bewegungsmelder")
        await chat.says("Straßenlaternen leuchten nur, wenn jemand vorbeikommt.")
        assert chat.labels() == ["Musterstadt", de("Cancel")], "one city: no 'all cities' choice"
    finally:
        engine.close()


def test_readme_shows_the_current_dialogue_diagram() -> None:
    from dialogs.diagram import mermaid

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert mermaid() in readme, "regenerate with: python -m dialogs.diagram"


def test_a_wrong_setting_names_the_variable(tmp_path: Path) -> None:
    result = run_cli("run", env={"TELEGRAM_WEBHOOK_SECRET": "not allowed!", "WEB_PORT": "99999"})
    assert result.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in result.stderr and "WEB_PORT" in result.stderr
    assert "not allowed!" not in result.stderr, "a secret is not echoed back"


def test_a_town_colour_with_too_little_contrast_is_refused_at_start(tmp_path: Path) -> None:
    data = original()
    data["site"] = {"colours": {"accent": "#66aaff", "accent_dark": "#0b4f8a"}}
    path = write(tmp_path, data)
    with pytest.raises(ContentError) as caught:
        load_content(path)
    message = str(caught.value)
    assert str(path) in message
    assert "site.colours.accent: #66aaff has a contrast of only 2.4:1 against the page (#ffffff)" in message
    assert "at least 4.5:1" in message and "choose a darker colour" in message
    assert "site.colours.accent_dark: #0b4f8a has a contrast of only 2.2:1" in message
    assert "choose a lighter colour" in message


def test_a_logo_must_exist_and_have_a_text(tmp_path: Path) -> None:
    data = original()
    data["site"] = {"logo": "wappen.svg"}
    with pytest.raises(ContentError, match="a logo needs a text for screen readers"):
        load_content(write(tmp_path, data))
    data["site"]["logo_alt"] = {code: "Wappen der Stadt" for code in data["languages"]}
    with pytest.raises(ContentError, match=r"site\.logo': .*wappen\.svg not found"):
        load_content(write(tmp_path, data))
    (tmp_path / "wappen.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    assert load_content(write(tmp_path, data)).site.logo == str(tmp_path / "wappen.svg")
    del data["site"]["logo_alt"]["en"]
    with pytest.raises(ContentError, match=r"site\.logo_alt: no text for language 'en'"):
        load_content(write(tmp_path, data))


def test_readme_shows_the_current_command_table() -> None:
    from dialogs.diagram import command_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert command_table() in readme, "regenerate with: python -m dialogs.diagram"
