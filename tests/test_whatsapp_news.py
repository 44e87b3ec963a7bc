"""WhatsApp beyond one chat: a WhatsApp moderator, broadcasts inside and outside the 24-hour window
(with and without the news template), notifications that wait for the window, failed statuses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.adapters.whatsapp.adapter import WEBHOOK_PATH
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE, figures_line
from dialogs.i18n import Languages
from dialogs.messages import Block, Button, Identity, Outbound, Reply, Span
from storage import outbox, personal_data, polls
from storage.models import (
    ALL_CITIES,
    Role,
    conversation_table,
    pending_notice_table,
    platform_message_table,
    platform_state_table,
    resident_table,
)
from storage.moderation import grant
from storage.store import Store
from storage.subscriptions import Audience
from tests.fake_whatsapp import FakeWhatsApp
from tests.helpers import resident, start_broadcasts, subscribe_city_news, wait_until_finished
from tests.whatsapp_helpers import WhatsAppResident, whatsapp_bot

ADMIN = "4917000000001"
NEWS = "Ab Montag fahren die Stadtbusse in Aalen alle zehn Minuten."
TEMPLATE = "mitmach_news"


@pytest.fixture
def de(languages: Languages) -> Callable[[str], str]:
    return languages.get("de").gettext


@pytest.fixture
def engine_with_admin(content: Content, languages: Languages, store: Store) -> Any:
    engine = Engine(content, languages, store, admins=[Identity("whatsapp", ADMIN)])
    yield engine
    engine.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp()
    await server.start()
    yield server
    await server.stop()


async def joined(fake: FakeWhatsApp, wa_id: str, de: Callable[[str], str], *, news: bool = True) -> WhatsAppResident:
    person = WhatsAppResident(fake, wa_id)
    await person.says("Hallo")
    await person.presses("Deutsch")
    await person.presses("Aalen")
    if news:
        await subscribe_city_news(person.presses)
    return person


def wrote_long_ago(store: Store, fake: FakeWhatsApp, wa_id: str, *, bot_knows: bool = True) -> None:
    """Two days since the person last wrote: for WhatsApp, and (unless `bot_knows` is False) for the bot."""
    fake.contact(wa_id).last_message_at = time.time() - 2 * 86400
    if not bot_knows:
        return
    R, C = resident_table.c, conversation_table.c
    long_ago = store.now() - timedelta(days=2)
    rid = select(R.id).where(R.platform == "whatsapp", R.user_id == wa_id).scalar_subquery()
    store.run(lambda tx: tx.execute(update(conversation_table).where(C.resident_id == rid).values(updated_at=long_ago)))


def broadcast(store: Store, author: str) -> int:
    return store.run(
        lambda tx: outbox.create_broadcast(
            tx,
            author=("whatsapp", author, author, "de"),
            text=NEWS,
            audience=Audience(city="aalen"),
            idea_id=None,
            button=None,
            send_at=store.now(),
            now=store.now(),
        )
    )


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_a_whatsapp_moderator_approves_and_the_author_is_told(
    engine_with_admin: Engine, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    engine = engine_with_admin
    async with whatsapp_bot(engine, fake):
        admin = await joined(fake, ADMIN, de, news=False)
        moderator = await joined(fake, "4917000000002", de, news=False)
        author = await joined(fake, "4917000000003", de, news=False)
        await admin.says("/grant whatsapp:4917000000002 moderator aalen")
        assert admin.sees(
            de("{identity} is now {role} for {city}.").format(
                identity="whatsapp:4917000000002", role=de("moderator"), city="Aalen"
            )
        )
        await author.says("/menu")
        await author.presses(de("Submit an idea"))
        await author.presses(de("I agree, let's start"))
        await author.says("Trinkbrunnen am Marktplatz")
        await author.says("Im Sommer fehlt am Marktplatz ein Trinkbrunnen für alle.")
        await author.presses("Mobilität")
        await author.presses("Aalen")
        await author.presses(de("✅ Submit"))
        notice = de("New idea no. {number} is waiting for a decision: {title}").split("{title}")[0].format(number=1)
        await wait_for(lambda: any(notice in m.text for m in fake.chats["4917000000002"]), "no notice")
        assert "Trinkbrunnen am Marktplatz" in fake.last("4917000000002").text
        await moderator.presses(de("✅ Approve {number}").format(number=1))
        assert moderator.sees(de("Idea no. {number} has been {status}.").format(number=1, status=de("approved")))
        good_news = de("Good news: your idea “{title}” has been published. Others can now support it.")
        told = good_news.format(title="Trinkbrunnen am Marktplatz")
        await wait_for(lambda: told in fake.last("4917000000003").text, "the author was not told")

        someone = await joined(fake, "4917000000004", de, news=False)
        await someone.says("/hide 1")
        assert someone.sees(de("Sorry, you are not allowed to do that."))
    assert store.run(lambda tx: tx.get_idea(1)).status == "approved"  # type: ignore[union-attr]
    assert fake.refusals == []


@pytest.mark.parametrize("template", [None, TEMPLATE])
async def test_a_broadcast_inside_and_outside_the_window(
    engine: Engine, fake: FakeWhatsApp, store: Store, de: Any, template: str | None
) -> None:
    async with whatsapp_bot(engine, fake, template=template) as (adapter, _base):
        author = await joined(fake, "4917100000000", de, news=False)
        inside = await joined(fake, "4917100000001", de)
        outside = await joined(fake, "4917100000002", de)
        misjudged = await joined(fake, "4917100000003", de)
        wrote_long_ago(store, fake, outside.wa_id)
        wrote_long_ago(store, fake, misjudged.wa_id, bot_knows=False)
        service = await start_broadcasts(engine, [adapter.transport()])
        try:
            number = broadcast(store, author.wa_id)
            await wait_until_finished(store, number)

            def settled() -> bool:  # WhatsApp's late report on the misjudged window, and what follows it
                if template is None:
                    return store.run(lambda tx: outbox.figures(tx, number)).no_window == 2
                last = fake.chats[misjudged.wa_id][-1]
                return last.template is not None

            await wait_for(settled, "the late report on the misjudged window was not acted on")
            await wait_until_finished(store, number)
            if template is None:  # the author's progress message counts those outside the window apart
                apart = de("{count} unreachable (24-hour window)").split("{count}")[1]
                await wait_for(
                    lambda: any(apart in m.text for m in fake.chats[author.wa_id]),
                    "the author's progress message counts those outside the window",
                )
        finally:
            await service.stop()
        figures = store.run(lambda tx: outbox.figures(tx, number))
    assert NEWS in fake.last(inside.wa_id).text
    if template is None:
        assert (figures.sent, figures.no_window) == (1, 2)
        assert all(NEWS not in m.text for m in fake.chats[outside.wa_id])
        line = figures_line(engine.languages.get("de"), figures)
        assert de("{count} unreachable (24-hour window)").format(count=2) in line
    else:
        assert (figures.sent, figures.no_window) == (3, 0)
        for person in (outside, misjudged):
            name, language, parameters = fake.last(person.wa_id).template or ("", "", [])
            assert (name, language) == (TEMPLATE, "de") and NEWS in parameters[0]
    undelivered = [wa_id for wa_id, _message, code in fake.undelivered if code == 131047]
    assert undelivered == [misjudged.wa_id], "only the window the bot could not know was missed, once"
    assert fake.refusals == []
    for person in (outside, misjudged):
        record = resident(store, Identity("whatsapp", person.wa_id))
        assert record is not None and record.unreachable_since is None, "outside the window is not unreachable"


async def test_a_number_whatsapp_cannot_deliver_to_is_marked_unreachable(
    engine: Engine, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    async with whatsapp_bot(engine, fake) as (adapter, _base):
        author = await joined(fake, "4917200000000", de, news=False)
        gone = await joined(fake, "4917200000001", de)
        fake.contact(gone.wa_id).undeliverable = True
        service = await start_broadcasts(engine, [adapter.transport()])
        try:
            number = broadcast(store, author.wa_id)
            await wait_until_finished(store, number)
            await wait_for(lambda: store.run(lambda tx: outbox.figures(tx, number)).unreachable == 1, "no report")
        finally:
            await service.stop()
    record = resident(store, Identity("whatsapp", gone.wa_id))
    assert record is not None and record.unreachable_since is not None


async def test_a_notification_outside_the_window_waits_until_the_resident_writes(
    engine_with_admin: Engine, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    async with whatsapp_bot(engine_with_admin, fake):
        admin = await joined(fake, ADMIN, de, news=False)
        author = await joined(fake, "4917300000001", de, news=False)
        await author.says("/menu")
        await author.presses(de("Submit an idea"))
        await author.presses(de("I agree, let's start"))
        await author.says("Mehr Bänke im Stadtgarten")
        await author.says("Zum Ausruhen auf dem Weg in die Stadt.")
        await author.presses("Mobilität")
        await author.presses("Aalen")
        await author.presses(de("✅ Submit"))
        wrote_long_ago(store, fake, author.wa_id)
        await admin.says("/approve 1")
        told = de("Good news: your idea “{title}” has been published. Others can now support it.").format(
            title="Mehr Bänke im Stadtgarten"
        )
        await asyncio.sleep(0.5)
        assert all(told not in m.text for m in fake.chats[author.wa_id]), "nothing free-form after 24 hours"
        await author.says("Hallo")
        came = lambda: any(told in m.text for m in fake.chats[author.wa_id])  # noqa: E731 - with or after the answer
        await wait_for(came, "the kept notification came with the answer")
    assert fake.undelivered == [] and fake.refusals == []


@pytest.mark.parametrize("template", [None, TEMPLATE])
async def test_a_notification_in_a_misjudged_window_is_not_lost(
    engine_with_admin: Engine, fake: FakeWhatsApp, store: Store, de: Any, template: str | None
) -> None:
    """The bot thinks the author wrote recently, WhatsApp knows better and reports 131047 only
    after accepting the message: the notification goes again as the template, or waits."""
    async with whatsapp_bot(engine_with_admin, fake, template=template):
        admin = await joined(fake, ADMIN, de, news=False)
        author = await joined(fake, "4917300000002", de, news=False)
        await author.says("/menu")
        await author.presses(de("Submit an idea"))
        await author.presses(de("I agree, let's start"))
        await author.says("Schattenbäume am Spielplatz")
        await author.says("Im Sommer wird der Spielplatz am Kocher zu heiß.")
        await author.presses("Mobilität")
        await author.presses("Aalen")
        await author.presses(de("✅ Submit"))
        wrote_long_ago(store, fake, author.wa_id, bot_knows=False)
        await admin.says("/approve 1")
        told = de("Good news: your idea “{title}” has been published. Others can now support it.").format(
            title="Schattenbäume am Spielplatz"
        )
        await wait_for(lambda: any(code == 131047 for _to, _m, code in fake.undelivered), "no free-form try")

        def told_count() -> int:  # the notification as it reached the author, as text or as the template
            return sum(told in m.text for m in fake.chats.get(author.wa_id, []))

        failed = next(report for report in fake.reports if report["status"] == "failed")
        if template is not None:
            await wait_for(lambda: told_count() == 1, "the template did not follow")
            template_sent = [m.template for m in fake.chats[author.wa_id] if m.template is not None]
            assert [(name, told in parameters[0]) for name, _lang, parameters in template_sent] == [(TEMPLATE, True)]
        else:
            await wait_for(lambda: bool(store.run(lambda tx: tx.rows(select(pending_notice_table)))), "not kept")
            assert all(told not in m.text for m in fake.chats[author.wa_id]), "nothing free-form after 24 hours"
            await author.says("Hallo")
            await wait_for(lambda: told_count() == 1, "the kept notification came with the answer")
        assert await fake.deliver(fake.payload(statuses=[failed])) == 200, "WhatsApp delivers the report again"
        await asyncio.sleep(0.5)
        assert told_count() == 1, "a report delivered twice sends nothing twice"
    kept = store.run(lambda tx: tx.rows(select(platform_message_table.c.data)))
    assert all(author.wa_id not in str(data) for (data,) in kept), "nothing kept once it is settled"
    assert fake.refusals == []


def kept_about(store: Store, wa_id: str) -> list[str]:
    """What the store still holds that names this number: notifications, values, waiting notices."""
    found = [
        str(data) for (data,) in store.run(lambda tx: tx.rows(select(platform_message_table.c.data))) if wa_id in data
    ]
    found += [key for (key,) in store.run(lambda tx: tx.rows(select(platform_state_table.c.key))) if wa_id in key]
    notices = store.run(lambda tx: tx.rows(select(pending_notice_table.c.user_id)))
    return found + [user for (user,) in notices if user == wa_id]


def notification(wa_id: str, text: str) -> Outbound:
    return Outbound(Identity("whatsapp", wa_id), wa_id, Reply(blocks=(Block((Span(text),)),), language="de"))


async def test_a_notification_reported_to_another_worker_process(
    engine: Engine, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    """With --workers, WhatsApp's report on a notification reaches any of the processes: the one that
    gets it settles it, so a delivered notification is not kept, and a misjudged window's goes once."""
    # the second process started last: WhatsApp's reports go to its web server
    first_bot, second_bot = whatsapp_bot(engine, fake, template=TEMPLATE), whatsapp_bot(engine, fake, template=TEMPLATE)
    async with first_bot as (first, first_url), second_bot:
        reached = await joined(fake, "4917300000011", de, news=False)
        missed = await joined(fake, "4917300000012", de, news=False)
        wrote_long_ago(store, fake, missed.wa_id, bot_knows=False)
        await first.send(notification(reached.wa_id, "Ihre Idee wurde veröffentlicht."))
        await first.send(notification(missed.wa_id, "Ihre Idee wurde beantwortet."))
        await wait_for(lambda: fake.last(missed.wa_id).template is not None, "the template did not follow")
        await wait_for(lambda: kept_about(store, reached.wa_id) == [], "a delivered notification is still kept")
        failed = next(r for r in fake.reports if r["status"] == "failed")
        fake.webhook_url = first_url + WEBHOOK_PATH  # the same report again, to the other process
        assert await fake.deliver(fake.payload(statuses=[failed])) == 200
        await asyncio.sleep(0.5)
        templates = [m for m in fake.chats[missed.wa_id] if m.template is not None]
        assert len(templates) == 1, "a report delivered to two processes sends the template once"
        who = person_of(store, missed.wa_id)
        exported = store.run(lambda tx: personal_data.export(tx, who))
        assert exported["platform_message"] == [], "nothing kept once it is settled"
    assert fake.refusals == []


async def test_a_resident_erased_while_a_notification_is_on_its_way_gets_nothing_more(
    engine: Engine, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    """WhatsApp reports the misjudged window after the resident deleted their data: no template
    follows, and nothing about their number stays in the store."""
    async with whatsapp_bot(engine, fake, template=TEMPLATE) as (adapter, _base):
        gone = await joined(fake, "4917300000021", de, news=False)
        wrote_long_ago(store, fake, gone.wa_id, bot_knows=False)
        rid = resident_id(store, gone.wa_id)

        async def erase(to: str) -> None:
            if to == gone.wa_id:
                fake.meanwhile = None
                await asyncio.to_thread(store.run, lambda tx: personal_data.erase_resident(tx, rid))

        fake.meanwhile = erase
        await adapter.send(notification(gone.wa_id, "Ihre Idee wurde veröffentlicht."))
        await wait_for(lambda: any(r["status"] == "failed" for r in fake.reports), "no report")
        await asyncio.sleep(1.0)
        assert resident(store, Identity("whatsapp", gone.wa_id)) is None
        assert [m for m in fake.chats.get(gone.wa_id, []) if m.template is not None] == [], "nothing after erasure"
        assert kept_about(store, gone.wa_id) == [], "nothing about them stays"
    assert fake.refusals == []


async def test_data_export_arrives_as_a_document(engine: Engine, fake: FakeWhatsApp, de: Any) -> None:
    async with whatsapp_bot(engine, fake):
        person = await joined(fake, "4917400000001", de, news=False)
        await person.says("/privacy")
        await person.presses(de("Export my data"))
        documents = [m for m in person.answer if m.kind == "document"]
        assert len(documents) == 1 and documents[0].document is not None
        filename, content = documents[0].document
        assert filename.endswith(".json") and b"4917400000001" in content
    assert fake.refusals == []


async def test_erasure_takes_what_the_adapter_kept_about_the_person(
    engine: Engine, fake: FakeWhatsApp, store: Store, de: Any
) -> None:
    async with whatsapp_bot(engine, fake) as (adapter, _base):
        person = await joined(fake, "4917500000001", de, news=False)
        many = tuple((Button(f"Möglichkeit {n}", f"9.{n}"),) for n in range(12))
        await adapter.send(Outbound(Identity("whatsapp", person.wa_id), person.wa_id, Reply(blocks=(), buttons=many)))
        status = fake.status("wamid.HBgMmissed", person.wa_id, "failed", 131047)
        assert await fake.deliver(fake.payload(statuses=[status])) == 200
        kept = store.run(lambda tx: tx.rows(select(platform_state_table.c.key)))
        assert {key for (key,) in kept} >= {f"whatsapp.menu:{person.wa_id}", f"whatsapp.window-closed:{person.wa_id}"}
        await person.says("/privacy")
        rid = resident_id(store, person.wa_id)
        who = store.run(lambda tx: personal_data.person(tx, rid))
        assert who is not None
        exported = store.run(lambda tx: personal_data.export(tx, who))
        assert {row["key"] for row in exported["platform_state"]} == {
            f"whatsapp.menu:{person.wa_id}",
            f"whatsapp.window-closed:{person.wa_id}",
        }
        await person.presses(de("Delete my data"))
        await person.presses(de("Yes, delete my data"))
    left = store.run(lambda tx: tx.rows(select(platform_state_table.c.key)))
    assert [key for (key,) in left if person.wa_id in key] == []
    assert resident(store, Identity("whatsapp", person.wa_id)) is None


def resident_id(store: Store, wa_id: str) -> int:
    found = resident(store, Identity("whatsapp", wa_id))
    assert found is not None
    return found.id


def person_of(store: Store, wa_id: str) -> personal_data.Person:
    rid = resident_id(store, wa_id)
    found = store.run(lambda tx: personal_data.person(tx, rid))
    assert found is not None
    return found


async def test_a_quick_poll_answered_on_whatsapp(engine: Engine, fake: FakeWhatsApp, store: Store, de: Any) -> None:
    question = "Welcher Abend passt für die Werkstatt im Stadtgarten?"
    async with whatsapp_bot(engine, fake, template=TEMPLATE) as (adapter, _base):
        service = await start_broadcasts(engine, [adapter.transport()])
        try:
            erika = await joined(fake, "4917600000001", de)
            late = await joined(fake, "4917600000002", de)
            wrote_long_ago(store, fake, late.wa_id)
            staff = await joined(fake, "4917600000009", de, news=False)
            store.run(lambda tx: grant(tx, "whatsapp", staff.wa_id, Role.STAFF, ALL_CITIES, "test", store.now()))
            await staff.says("/umfrage")
            await staff.says(question)
            await staff.says("Dienstag\nMittwoch\nDonnerstag")
            await staff.presses("Eine Antwort")
            await staff.presses("Neuigkeiten aus Aalen")
            closes = (store.now() + timedelta(days=2)).astimezone(ZONE).strftime("%d.%m.%Y %H:%M")
            await staff.says(closes)
            await staff.presses("Ja, anzeigen")
            await staff.presses("Ergebnis an Antwortende")
            await staff.presses("Jetzt an 2 Personen senden")
            [poll] = store.run(lambda tx: polls.recent(tx))
            await wait_until_finished(store, poll.broadcast_id or 0)
            shown = fake.last_with_options(erika.wa_id)
            assert question in shown.text and shown.titles == ["Dienstag", "Mittwoch", "Donnerstag"]
            name, _language, parameters = fake.last(late.wa_id).template or ("", "", [])
            assert name == TEMPLATE and question in parameters[0], "outside the window: the question as the template"
            await erika.presses("Mittwoch")
            assert erika.sees("Danke!")
        finally:
            await service.stop()
    assert store.run(lambda tx: polls.totals(tx, poll)).counts == [0, 1, 0]
    assert fake.refusals == []
