"""The cities' own words in the conversation: public names, working titles marked once, glosses."""

from __future__ import annotations

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.test_console import number_of
from tests.test_telegram import TelegramResident

WORKING_TITLES = "Diese Namen sind Arbeitstitel"


async def test_the_tour_uses_the_public_names_and_explains_charta_terms(erika: Chat) -> None:
    await erika.onboard()
    await erika.presses("Die Vision entdecken")
    await erika.presses("Mehr lesen")
    assert erika.sees("Stadtgesellschaft: Alle, die eine Stadt ausmachen")
    assert not erika.sees("Bürgerinnen und Bürger haben beschrieben")
    await erika.presses("Weiter")
    assert erika.sees("Leitziel 1 von 5") and erika.sees("Lebenswert")
    names = ["Lebenswert"]
    for _ in range(4):
        await erika.presses("Nächstes Leitziel")
        names.append(erika.reply.blocks[1].text)
    assert names == ["Lebenswert", "Nachhaltig", "Stark", "Innovativ", "Vernetzt"]
    await erika.presses("Mehr lesen")
    assert erika.sees("responsiv und sensitiv: Die Stadt hört zu, merkt, was die Menschen brauchen")
    await erika.presses("Weiter")
    await erika.presses("Weiter")
    text = erika.reply.plain_text
    assert "Eine starke und resiliente digitale Infrastruktur" in text
    assert "nachhaltige, klimabewusste Stadt" in text
    assert text.count("Arbeitstitel") == 1, "marked once per screen"
    assert "„Eine lebenswerte, vernetzte Stadt“ ist ein Arbeitstitel" in text


async def test_the_handlungsfelder_are_marked_as_working_titles_once_per_screen(erika: Chat) -> None:
    await erika.onboard()
    await erika.presses("Ideen nach Thema")
    assert erika.reply.plain_text.count("Arbeitstitel") == 1 and erika.sees(WORKING_TITLES)
    await erika.presses("Mobilität")
    assert erika.reply.plain_text.count("Arbeitstitel") == 1
    assert erika.sees("„Mobilität“ ist ein Arbeitstitel")


async def test_in_english_too(max_: Chat) -> None:
    await max_.onboard(language="English")
    await max_.presses("Discover the vision")
    await max_.presses("Read more")
    assert max_.sees("community: Everyone who makes up a town")
    await max_.presses("Next")
    assert max_.sees("Liveable")
    await max_.says("/menu")
    await max_.presses("Ideas by topic")
    assert max_.sees("These names are working titles")


async def test_console_transcript(engine: Engine) -> None:
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    out = await erika.say(number_of(out, "Ideen nach Thema"))
    assert out.count("Arbeitstitel") == 1
    out = await erika.say("/menu")
    out = await erika.say(number_of(out, "Die Vision entdecken"))
    out = await erika.say(number_of(out, "Mehr lesen"))
    assert "Stadtgesellschaft: Alle, die eine Stadt ausmachen" in out


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    erika = TelegramResident(fake, 4713)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await erika.presses("Ideen nach Thema")
    assert erika.sees(WORKING_TITLES)
    await erika.presses("Mobilität")
    assert erika.sees("„Mobilität“ ist ein Arbeitstitel")
    assert fake.refusals == []
