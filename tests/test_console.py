"""The console adapter: numbered buttons, typed numbers press them, --user picks the resident."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from dialogs.engine import Engine
from storage import moderation as moderation_db
from storage.models import ALL_CITIES, Role
from storage.store import Store
from tests.conftest import ROOT
from tests.helpers import approve, seed_idea, support_count
from tests.texts import CITY_QUESTION, city, de, en


def number_of(output: str, label: str) -> str:
    for line in output.splitlines():
        if line.startswith("[") and "] " in line and line.split("] ", 1)[1].startswith(label):
            return line[1 : line.index("]")]
    raise AssertionError(f"no option {label!r} in:\n{output}")


async def test_console_journey_with_two_residents(engine: Engine, store: Store) -> None:
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    assert "[1] Deutsch" in out and "[2] English" in out
    out = await erika.say("1")
    out = await erika.say(number_of(out, city("aalen")))
    out = await erika.say(number_of(out, de("Discover the vision")))
    assert "Unsere gemeinsame Vision" in out
    out = await erika.say(number_of(out, "Rundgang überspringen"))
    out = await erika.say(number_of(out, "Ideen nach Thema"))
    out = await erika.say(number_of(out, "Klima"))
    out = await erika.say(number_of(out, "Idee zu diesem Thema"))
    out = await erika.say(number_of(out, "Einverstanden"))
    out = await erika.say("Luftsensoren an Schulen")
    out = await erika.say("Sensoren messen die Luftqualität und zeigen sie auf einer Karte.")
    out = await erika.say(number_of(out, "Aalen und Heidenheim"))
    assert "Stadt: Aalen und Heidenheim" in out
    out = await erika.say(number_of(out, "✅ Absenden"))
    assert "Ihre Idee ist eingegangen" in out
    out = await erika.say(number_of(out, "Meine Ideen"))
    assert "„Luftsensoren an Schulen“" in out and "wird geprüft" in out

    approve(store, 1)
    max_ = ConsoleAdapter(context_for(engine), "max", write=lambda _text: None)
    out = await max_.say("/start")
    out = await max_.say(number_of(out, "English"))
    out = await max_.say(number_of(out, "Heidenheim"))
    out = await max_.say(number_of(out, "Ideas by topic"))
    out = await max_.say(number_of(out, "Climate"))
    out = await max_.say(number_of(out, "Show ideas"))
    out = await max_.say(number_of(out, "Luftsensoren an Schulen"))
    assert "0 people support it." in out
    out = await max_.say(number_of(out, en("👍 Support this idea")))
    assert "1 person supports it." in out
    assert support_count(store, 1) == 1


async def test_a_number_without_such_option_is_text(engine: Engine) -> None:
    anna = ConsoleAdapter(context_for(engine), "anna", write=lambda _text: None)
    await anna.say("/start")
    await anna.say("1")
    out = await anna.say("1")
    out = await anna.say("99")
    assert de("Sorry, I did not understand that. Please choose one of the options below, or send /help.") in out


async def test_a_number_is_text_where_the_bot_asks_for_one(engine: Engine, store: Store) -> None:
    """Staff asked for an idea's number type it: `1` is idea 1, not the first option shown ("Zurück")."""
    idea = seed_idea(store)
    assert idea == 1
    anna = ConsoleAdapter(context_for(engine), "anna", write=lambda _text: None)
    out = await anna.say("/start")
    out = await anna.say(number_of(out, "Deutsch"))
    await anna.say(number_of(out, city("aalen")))
    store.run(lambda tx: moderation_db.grant(tx, "console", "anna", Role.STAFF, ALL_CITIES, "test", store.now()))
    await anna.say("/broadcast")
    out = await anna.say("Der Stadtgarten in Aalen hat jetzt kostenloses WLAN.")
    out = await anna.say(number_of(out, de("All subscribers")))
    out = await anna.say(number_of(out, de("Button to an idea")))
    assert number_of(out, de("Back")) == "1", "the screen that asks for the number shows options too"
    out = await anna.say("1")
    assert number_of(out, de("Vote now")), "idea 1 was taken: the next step asks for the button's text"


def test_console_command_end_to_end(tmp_path: Path) -> None:
    """`python -m bot console --user …` on a fresh database, typed into like a terminal."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "LANG": "de_DE.UTF-8"}
    typed = "1\n1\n/help\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--user", "kemal"],
        cwd=ROOT,
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "[1] Deutsch" in result.stdout
    assert de(CITY_QUESTION) in result.stdout
    assert de("What would you like to do?") in result.stdout
    assert de("How this works") in result.stdout
    assert "console:kemal" in result.stdout
