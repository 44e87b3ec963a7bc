"""Subscriptions to news: asked after the first support or submission, settings, /stop, export and deletion."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from dialogs.engine import Engine
from storage import subscriptions
from storage.models import subscription_table
from storage.store import Store
from storage.subscriptions import Audience, audience_size
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.helpers import resident, seed_idea, subscribe_city_news
from tests.test_console import number_of
from tests.test_journey import submit_idea
from tests.test_telegram import TelegramResident
from tests.texts import city, de, field


def topics(store: Store, chat: Chat) -> list[str]:
    record = resident(store, chat.identity)
    assert record is not None
    return store.run(lambda tx: subscriptions.topics_of(tx, record.id))


ASKED = "Möchten Sie erfahren, wie es weitergeht?"


async def support_first_idea(chat: Chat, store: Store) -> None:
    seed_idea(store)
    await chat.presses("Ideen nach Thema")
    await chat.presses("Mobilität")
    await chat.presses("Ideen anzeigen")
    await chat.presses("👍")


async def test_news_is_offered_after_the_first_support_not_with_the_first_menu(erika: Chat, store: Store) -> None:
    await erika.onboard()
    assert not erika.sees(ASKED), "the first menu does not ask yet"
    await support_first_idea(erika, store)
    assert erika.sees("Danke! Sie unterstützen jetzt") and erika.sees(ASKED)
    assert "Ja, Neuigkeiten aus Aalen" in erika.labels() and "Nein, danke" in erika.labels()
    assert topics(store, erika) == [], "nothing is subscribed before the resident chooses"
    await erika.says("/menu")
    assert not erika.sees(ASKED), "asked once only"
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Ideen anzeigen")
    await erika.presses("👍 ✓")
    await erika.presses("👍")
    assert not erika.sees(ASKED)
    assert topics(store, erika) == []


async def test_yes_after_the_first_submission_subscribes_to_the_city_news(erika: Chat, store: Store) -> None:
    await erika.onboard(city="Heidenheim")
    await submit_idea(erika, "Mehr Bänke im Brenzpark", "Im Brenzpark fehlen Sitzplätze im Schatten.", "Heidenheim")
    assert erika.sees("Ihre Idee ist eingegangen") and erika.sees(ASKED)
    await erika.presses("Ja, Neuigkeiten aus Heidenheim")
    assert erika.sees("Sie erhalten Neuigkeiten aus Heidenheim")
    assert erika.sees("Was möchten Sie tun?")
    assert topics(store, erika) == ["city"]
    await erika.presses(de("Settings"))
    assert erika.sees(de("News: {topics}", topics=de("News from {city}", city=city("heidenheim"))))


async def test_no_thanks_stores_nothing(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await support_first_idea(erika, store)
    await erika.presses("Nein, danke")
    assert erika.sees("In Ordnung, keine Neuigkeiten")
    assert topics(store, erika) == []


async def test_topics_are_ticked_and_unticked_in_the_settings(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses(de("Settings"))
    assert erika.sees(de("News: {topics}", topics=de("none")))
    await erika.presses(de("News subscriptions"))
    assert erika.sees_button("☐ " + de("News from {city}", city=city("aalen"))) and erika.sees_button(
        "☐ " + field("mobilitaet")
    )
    await erika.presses("☐ " + field("mobilitaet"))
    await erika.presses("☐ " + de("News from {city}", city=city("aalen")))
    assert erika.sees_button("☑ " + field("mobilitaet")) and erika.sees_button(
        "☑ " + de("News from {city}", city=city("aalen"))
    )
    assert sorted(topics(store, erika)) == ["city", "field:mobilitaet"]
    await erika.presses("☑ " + de("News from {city}", city=city("aalen")))
    assert topics(store, erika) == ["field:mobilitaet"]
    await erika.presses(de("Done"))
    assert erika.sees(de("News: {topics}", topics=field("mobilitaet"))), "back in the settings, which show the change"


async def test_choose_topics_after_the_first_support_goes_back_to_the_menu(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await support_first_idea(erika, store)
    await erika.presses("Themen wählen")
    await erika.presses("☐ Bildung")
    await erika.presses(de("Done"))
    assert erika.sees(de("What would you like to do?"))
    assert len(topics(store, erika)) == 1


async def test_stop_ends_every_subscription_in_one_step(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await subscribe_city_news(erika.presses)
    await erika.presses("Einstellungen")
    await erika.presses("Neuigkeiten abonnieren")
    await erika.presses("☐ Klima")
    assert len(topics(store, erika)) == 2
    await erika.says("/stop")
    assert erika.sees(de("Done: you will receive no more news. You can subscribe again in the settings."))
    assert topics(store, erika) == []
    await erika.says("/stop")
    assert erika.sees(de("You have not subscribed to any news, so you will not receive any."))


async def test_stop_before_anything_else_does_not_ask_later(erika: Chat, store: Store) -> None:
    await erika.says("/stop")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    await support_first_idea(erika, store)
    assert not erika.sees(ASKED), "who said /stop is not asked again"


async def test_audiences_count_subscribers_who_can_be_reached(engine: Engine, store: Store) -> None:
    people = {name: Chat(engine, name) for name in ("a1", "a2", "h1", "none", "blocked")}
    for name, chat in people.items():
        await chat.onboard(city="Heidenheim" if name.startswith("h") else "Aalen")
        if name != "none":
            await subscribe_city_news(chat.presses, "Heidenheim" if name.startswith("h") else "Aalen")
    await people["a2"].presses("Einstellungen")
    await people["a2"].presses("Neuigkeiten abonnieren")
    await people["a2"].presses("☐ Mobilität")
    store.run(lambda tx: tx.set_reachable("test", "blocked", store.now()))
    sizes = store.run(
        lambda tx: [
            audience_size(tx, audience)
            for audience in (Audience(), Audience("aalen"), Audience("heidenheim"), Audience(field="mobilitaet"))
        ]
    )
    assert sizes == [3, 2, 1, 1]


async def test_export_lists_subscriptions_and_deletion_removes_them(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await subscribe_city_news(erika.presses)
    await erika.says("/privacy")
    await erika.presses(de("Export my data"))
    attachment = erika.reply.attachment
    assert attachment is not None
    exported = json.loads(attachment.content)
    assert [s["topic"] for s in exported["subscription"]] == ["city"]
    await erika.presses(de("Delete my data"))
    await erika.presses(de("Yes, delete my data"))
    assert store.run(lambda tx: audience_size(tx, Audience())) == 0
    assert store.run(lambda tx: tx.rows(select(subscription_table))) == [], "no subscription row is left"


async def test_console_transcript(engine: Engine, store: Store) -> None:
    seed_idea(store)
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    out = await erika.say("/start")
    out = await erika.say(number_of(out, "Deutsch"))
    out = await erika.say(number_of(out, "Aalen"))
    assert ASKED not in out
    for label in ("Ideen nach Thema", "Mobilität", "Ideen anzeigen", "👍"):
        out = await erika.say(number_of(out, label))
    assert ASKED in out
    out = await erika.say(number_of(out, "Ja, Neuigkeiten aus Aalen"))
    assert topics_of_user(store, "console", "erika") == ["city"]


async def test_telegram_transcript(polling: TelegramAdapter, fake: FakeTelegram, store: Store) -> None:
    seed_idea(store)
    erika = TelegramResident(fake, 4719)
    await erika.says("/start")
    await erika.presses("Deutsch")
    await erika.presses("Aalen")
    assert not erika.sees(ASKED)
    for label in ("Ideen nach Thema", "Mobilität", "Ideen anzeigen", "👍"):
        await erika.presses(label)
    assert erika.sees(ASKED)
    await erika.presses("Nein, danke")
    assert erika.sees("In Ordnung, keine Neuigkeiten")
    assert fake.refusals == []


def topics_of_user(store: Store, platform: str, user_id: str) -> list[str]:
    record = store.run(lambda tx: tx.load_resident(platform, user_id))
    assert record is not None
    return store.run(lambda tx: subscriptions.topics_of(tx, record.id))
