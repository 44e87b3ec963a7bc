"""The WhatsApp adapter against the strict local Cloud API, over real HTTP, webhooks signed as Meta signs them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.adapters.whatsapp.adapter import WhatsAppAdapter
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Block, Button, Identity, Outbound, Reply, Span
from storage.store import Store
from tests.fake_whatsapp import FakeWhatsApp, formatted
from tests.helpers import resident, seed_idea, state_of, support_count
from tests.whatsapp_helpers import VERIFY_TOKEN, WhatsAppResident, whatsapp_bot

ERIKA = "4917612345678"


@pytest.fixture
def de(languages: Languages) -> Callable[[str], str]:
    return languages.get("de").gettext


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(engine: Engine, fake: FakeWhatsApp) -> AsyncIterator[WhatsAppAdapter]:
    async with whatsapp_bot(engine, fake) as (adapter, _base):
        yield adapter


def assert_clean(fake: FakeWhatsApp) -> None:
    assert fake.refusals == [], "every request followed WhatsApp's rules"
    assert fake.rate_limited == 0 and fake.pair_limited == 0
    assert fake.undelivered == [], "nothing was sent outside the 24-hour window"


async def onboard(person: WhatsAppResident, de: Callable[[str], str]) -> None:
    await person.says("Hallo")
    assert person.sees(de("Welcome to the Mitmach-Bot! Please choose your language."))
    await person.presses("Deutsch")
    await person.presses("Aalen")
    if not person.sees(de("What would you like to do?")):
        await person.presses(de("No, thank you"))


async def test_a_whole_journey(
    bot: WhatsAppAdapter, fake: FakeWhatsApp, store: Store, de: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    idea = seed_idea(store, "Echtzeit-Anzeigen an Bushaltestellen")
    erika = WhatsAppResident(fake, ERIKA)
    await onboard(erika, de)
    assert erika.sees(de("What would you like to do?"))
    await erika.presses(de("Discover the vision"))
    await erika.presses(de("Skip the tour"))
    await erika.presses(de("Ideas by topic"))
    assert fake.last_with_options(ERIKA).kind == "list", "eight topics and Back: a list message"
    await erika.presses("Mobilität")
    await erika.presses(de("Show ideas"))
    await erika.presses("Echtzeit-Anzeigen")
    await erika.presses(de("👍 Support this idea"))
    assert support_count(store, idea) == 1
    await erika.presses(de("Back"))
    await erika.presses(de("Back"))
    await erika.presses(de("Submit an idea on this topic"))
    await erika.presses(de("I agree, let's start"))
    await erika.says("*Gratis* Parken für _alle_")
    await erika.says("Ein Parkhaus, in dem Fahrräder kostenlos stehen.")
    await erika.presses("Aalen")
    preview = "\n".join(m.body for m in erika.answer)
    assert ("bold", "Gratis") not in formatted(preview), "the resident's asterisks stay literal"
    assert erika.sees("*Gratis* Parken für _alle_")
    await erika.presses(de("✅ Submit"))
    assert erika.sees(de("Thank you! Your idea has been received (no. {number}).").format(number=idea + 1))
    await erika.presses(de("My ideas"))
    assert erika.sees(de("being reviewed"))
    assert_clean(fake)
    assert fake.read == set(erika.sent), "every message of Erika's was marked as read"
    assert caplog.records, "the journey was logged"
    assert ERIKA not in caplog.text, "the phone number is never in a log line"
    record = resident(store, Identity("whatsapp", ERIKA))
    assert record is not None and record.chat_id == ERIKA and record.language == "de"


async def test_a_link_to_an_idea_opens_it(bot: WhatsAppAdapter, fake: FakeWhatsApp, store: Store, de: Any) -> None:
    idea = seed_idea(store, "Trinkbrunnen am Marktplatz")
    person = WhatsAppResident(fake, "4915112345678")
    await person.says(f"idea_{idea}")
    await person.presses("Deutsch")
    await person.presses("Aalen")
    if not person.sees("Trinkbrunnen am Marktplatz"):
        await person.presses(de("No, thank you"))
    assert person.sees("Trinkbrunnen am Marktplatz")


async def test_what_the_bot_cannot_read_gets_the_current_menu(
    bot: WhatsAppAdapter, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    person = WhatsAppResident(fake, ERIKA)
    await onboard(person, de)
    menus = []
    for kind in ("image", "audio", "sticker", "location", "reaction", "unsupported"):
        await person.sends(kind)
        assert person.sees(
            de("Sorry, I did not understand that. Please choose one of the options below, or send /help.")
        )
        menus.append(person.options)
    assert de("Discover the vision") in menus[0]
    assert all(menu == menus[0] for menu in menus), "each time the same menu"
    assert state_of(store, Identity("whatsapp", ERIKA)) == "menu"
    assert_clean(fake)


async def test_a_made_up_choice_changes_nothing(
    bot: WhatsAppAdapter, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    person = WhatsAppResident(fake, ERIKA)
    await onboard(person, de)
    for made_up in ("a.forged-token", "99999.0", "wa.page.3", "mod:approve:1", "r.support.1"):
        await person._after(fake.button_reply(ERIKA, made_up, "x"))
        assert person.sees(de("This menu is out of date. Here is the current one.")), (made_up, person.answer)
    assert state_of(store, Identity("whatsapp", ERIKA)) == "menu"


async def test_signatures_are_checked_before_anything_is_read(
    bot: WhatsAppAdapter, fake: FakeWhatsApp, store: Store, engine: Engine
) -> None:
    payload = fake.payload(fake.text(ERIKA, "Hallo"))
    assert await fake.deliver(payload, signature=None) == 401
    assert await fake.deliver(payload, signature="sha256=" + "0" * 64) == 401
    assert await fake.deliver(payload, signature=fake.signature(b"another body")) == 401
    assert await fake.deliver(payload, signature="sha1=abc") == 401
    assert resident(store, Identity("whatsapp", ERIKA)) is None, "nothing was stored"
    assert fake.chats == {}

    url = fake.webhook_url
    assert url is not None
    async with aiohttp.ClientSession() as session:
        query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
        async with session.get(url, params=query) as answer:
            assert answer.status == 200 and await answer.text() == "1158201444"
            assert answer.content_type == "text/plain"
        async with session.get(url, params={**query, "hub.verify_token": "a guess"}) as answer:
            assert answer.status == 403
        async with session.get(url) as answer:
            assert answer.status == 403


async def test_batched_and_redelivered_calls_are_answered_once_per_message(
    bot: WhatsAppAdapter, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    ben = "4915112345678"
    batch = fake.batch(
        fake.payload(fake.text(ERIKA, "Hallo"), fake.text(ben, "Guten Tag")),
        fake.payload(fake.text("4916098765432", "Hi")),
    )
    assert await fake.deliver(batch) == 200
    assert await fake.deliver(batch) == 200, "delivered again, as WhatsApp does"
    await asyncio.sleep(1.0)
    welcome = de("Welcome to the Mitmach-Bot! Please choose your language.")
    for number in (ERIKA, ben, "4916098765432"):
        assert sum(welcome in m.text for m in fake.chats[number]) == 1, "one answer per message"
    later = fake.payload(fake.text(ERIKA, "Noch einmal"))
    assert await fake.deliver(later) == 200
    await asyncio.sleep(0.5)
    assert sum(welcome in m.text for m in fake.chats[ERIKA]) == 2, "a new message is a new event"
    assert_clean(fake)


async def test_more_than_ten_options_come_in_pages(bot: WhatsAppAdapter, fake: FakeWhatsApp, de: Any) -> None:
    person = WhatsAppResident(fake, ERIKA)
    await onboard(person, de)
    options = tuple((Button(f"Möglichkeit {n}", f"9.{n}"),) for n in range(14))
    reply = Reply(blocks=(Block((Span("Viele Möglichkeiten"),)),), buttons=options, language="de")
    await bot.send(Outbound(Identity("whatsapp", ERIKA), ERIKA, reply))
    first = fake.last_with_options(ERIKA).titles
    assert first[:9] == [f"Möglichkeit {n}" for n in range(9)] and first[9] == de("More ▶")
    await person.presses(de("More ▶"))
    second = person.options
    assert second[0] == de("◀ Back") and second[1:] == [f"Möglichkeit {n}" for n in range(9, 14)]
    await person.presses("◀")
    assert person.options == first
    assert_clean(fake)


async def test_a_page_turn_delivered_twice_sends_the_page_once(
    bot: WhatsAppAdapter, fake: FakeWhatsApp, de: Any
) -> None:
    person = WhatsAppResident(fake, ERIKA)
    await onboard(person, de)
    options = tuple((Button(f"Möglichkeit {n}", f"9.{n}"),) for n in range(14))
    reply = Reply(blocks=(Block((Span("Viele Möglichkeiten"),)),), buttons=options, language="de")
    await bot.send(Outbound(Identity("whatsapp", ERIKA), ERIKA, reply))
    shown = fake.last_with_options(ERIKA)
    more = shown.option_id(de("More ▶"))
    pressed = fake.payload(fake.list_reply(ERIKA, more, de("More ▶"), shown.id))
    before = len(fake.chats[ERIKA])
    for _delivery in range(3):  # WhatsApp delivers at least once: the same call again
        assert await fake.deliver(pressed) == 200
    await asyncio.sleep(0.5)
    pages = [m for m in fake.chats[ERIKA][before:] if m.titles and m.titles[0] == de("◀ Back")]
    assert len(pages) == 1 and len(fake.chats[ERIKA]) == before + 1


async def test_limits_and_outages_are_waited_out_and_nothing_is_lost(engine: Engine, store: Store, de: Any) -> None:
    fake = FakeWhatsApp(pair_limit=2, pair_period=1.0)
    await fake.start()
    try:
        async with whatsapp_bot(engine, fake):
            person = WhatsAppResident(fake, ERIKA)
            fake.fail_next = 2
            await person.says("Hallo")
            await person.presses("Deutsch")
            await person.presses("Aalen")
            started = time.monotonic()
            await person.says("/help")
            assert fake.pair_limited > 0, "the bot wrote faster than WhatsApp allows to one person"
            assert time.monotonic() - started < 15
            assert fake.refusals.count((2, "Service temporarily unavailable")) == 2
    finally:
        await fake.stop()
    kinds = [m.kind for m in fake.chats[ERIKA]]
    assert kinds.count("button") + kinds.count("list") >= 4, "every answer arrived"
