"""Subscriptions to news: opt-in on first contact, settings, /stop, and what export and deletion do."""

from __future__ import annotations

import json

from sqlalchemy import select

from dialogs.engine import Engine
from storage import subscriptions
from storage.models import subscription_table
from storage.store import Store
from storage.subscriptions import Audience, audience_size
from tests.chat import Chat
from tests.helpers import resident
from tests.texts import city, de, de_start, field


def topics(store: Store, chat: Chat) -> list[str]:
    record = resident(store, chat.identity)
    assert record is not None
    return store.run(lambda tx: subscriptions.topics_of(tx, record.id))


async def test_first_menu_asks_once_with_nothing_ticked(erika: Chat, store: Store) -> None:
    await erika.onboard()
    assert erika.sees(
        de("Would you like news, for example when an idea becomes a project? Nothing is subscribed unless you choose.")
    )
    assert erika.labels()[:3] == [
        de("Yes, news from {city}", city=city("aalen")),
        de("Choose topics"),
        de("No, thank you"),
    ]
    assert topics(store, erika) == [], "nothing is subscribed before the resident chooses"
    await erika.presses(de("Ideas by topic"))
    await erika.says("/menu")
    assert not erika.sees(
        de("Would you like news, for example when an idea becomes a project? Nothing is subscribed unless you choose.")
    ), "asked once only"
    assert not erika.sees_button(de("No, thank you"))
    assert topics(store, erika) == []


async def test_yes_subscribes_to_the_city_news(erika: Chat, store: Store) -> None:
    await erika.onboard(city=city("heidenheim"))
    await erika.presses(de("Yes, news from {city}", city=city("heidenheim")))
    assert erika.sees(
        de("Done: you will receive news from {city}. Send /stop to end this at any time.", city=city("heidenheim"))
    )
    assert erika.sees(de("What would you like to do?"))
    assert topics(store, erika) == ["city"]
    await erika.presses(de("Settings"))
    assert erika.sees(de("News: {topics}", topics=de("News from {city}", city=city("heidenheim"))))


async def test_no_thanks_stores_nothing(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses(de("No, thank you"))
    assert erika.sees(de("All right, no news. You can subscribe at any time in the settings."))
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


async def test_choose_topics_from_the_first_menu_goes_back_to_the_menu(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses(de("Choose topics"))
    await erika.presses("☐ Bildung")
    await erika.presses(de("Done"))
    assert erika.sees(de("What would you like to do?"))
    assert len(topics(store, erika)) == 1


async def test_stop_ends_every_subscription_in_one_step(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.presses(de("Yes, news from {city}", city=city("aalen")))
    await erika.presses(de("Settings"))
    await erika.presses(de("News subscriptions"))
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
    await erika.presses(city("aalen"))
    assert not erika.sees(
        de("Would you like news, for example when an idea becomes a project? Nothing is subscribed unless you choose.")
    ), "who said /stop is not asked again"


async def test_audiences_count_subscribers_who_can_be_reached(engine: Engine, store: Store) -> None:
    people = {name: Chat(engine, name) for name in ("a1", "a2", "h1", "none", "blocked")}
    for name, chat in people.items():
        await chat.onboard(city="Heidenheim" if name.startswith("h") else "Aalen")
        if name != "none":
            await chat.presses(de_start("Yes, news from {city}"))
    await people["a2"].presses(de("Settings"))
    await people["a2"].presses(de("News subscriptions"))
    await people["a2"].presses("☐ " + field("mobilitaet"))
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
    await erika.presses(de("Yes, news from {city}", city=city("aalen")))
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
