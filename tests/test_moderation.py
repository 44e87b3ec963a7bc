"""Moderation and roles through the engine: commands, buttons, the audit log, closing the loop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity, Inbound, InboundKind, Outbound
from storage import moderation as db
from storage.models import IdeaStatus, action_token_table
from storage.store import Store
from tests.chat import Chat
from tests.helpers import assert_supports_consistent, resident, seed_idea
from tests.test_journey import _idea_number, submit_idea
from tests.texts import MENU_OUT_OF_DATE, NEW_IDEA, NOT_ALLOWED, PUBLISHED, city, de, de_start

ALREADY = "Idea no. {number} was already {status} by {who}."
MERGED = "Idea no. {number} is now part of idea no. {target}, which has {count} supporters."
BARRED = "You cannot submit ideas at the moment. The moderation team gave this reason: {reason}"


def decided(number: int, status: str) -> str:
    """What a moderator reads after a decision, e.g. for status "approved"."""
    return de("Idea no. {number} has been {status}.", number=number, status=de(status))


ADMIN = Identity("test", "admin")


@pytest.fixture
def mod_engine(content: Content, languages: Languages, store: Store) -> Iterator[Engine]:
    engine = Engine(content, languages, store, admins=[ADMIN])
    yield engine
    engine.close()


VOTERS = 24


@pytest.fixture
def busy_mod_engine(content: Content, languages: Languages, store_url: str) -> Iterator[Engine]:
    """On SQLite and PostgreSQL, running events in parallel threads, with a connection for each."""
    shared = Store(store_url, pool_size=VOTERS + 2)
    engine = Engine(content, languages, shared, admins=[ADMIN], workers=VOTERS + 1)
    yield engine
    engine.close()
    shared.dispose()


@pytest.fixture
async def admin(mod_engine: Engine) -> Chat:
    chat = Chat(mod_engine, "admin")
    await chat.onboard()
    return chat


async def make_moderator(admin: Chat, engine: Engine, name: str, city: str = "aalen") -> Chat:
    chat = Chat(engine, name)
    await chat.onboard()
    await admin.says(f"/grant test:{name} moderator {city}")
    assert admin.sees(f"test:{name} hat jetzt die Rolle Moderation für")
    return chat


def to(outbounds: list[Outbound], chat: Chat) -> list[Outbound]:
    return [o for o in outbounds if o.recipient == chat.identity]


def audit(store: Store) -> list[dict[str, object]]:
    return store.run(lambda tx: db.audit_entries(tx))


async def test_whoami(admin: Chat, mod_engine: Engine) -> None:
    await admin.says("/whoami")
    assert admin.sees("Sie sind test:admin.")
    assert admin.sees("Rolle: Administration (Aalen und Heidenheim)")
    anna = Chat(mod_engine, "anna")
    await anna.onboard()
    await anna.says("/whoami")
    assert anna.sees(de("You take part as a resident, without special roles."))


async def test_admin_grants_and_revokes_roles(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    await moritz.says("/whoami")
    assert moritz.sees(de("Role: {role} ({city})", role=de("moderator"), city=city("aalen")))
    await admin.says("/grant test:moritz moderator aalen")
    assert admin.sees(de("Nothing changed: that was already so."))
    await admin.says("/revoke test:moritz moderator aalen")
    assert admin.sees(
        de(
            "{identity} is no longer {role} for {city}.",
            identity="test:moritz",
            role=de("moderator"),
            city=city("aalen"),
        )
    )
    await moritz.says("/whoami")
    assert moritz.sees(de("You take part as a resident, without special roles."))
    for bad in ("/grant", "/grant moritz moderator", "/grant test:moritz king", "/grant test:moritz moderator rom"):
        await admin.says(bad)
        assert admin.sees(de("Please write it like this: /{command} telegram:12345 moderator aalen", command="grant"))
    actions = [(e["actor"], e["action"], e["object"], e["outcome"]) for e in audit(store)]
    assert ("test:admin", "grant", "test:moritz:moderator:aalen", "done") in actions
    assert ("test:admin", "revoke", "test:moritz:moderator:aalen", "done") in actions


async def test_the_whole_loop(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    helga = await make_moderator(admin, mod_engine, "helga", "heidenheim")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Digitale Parkplatzsuche", "Sensoren zeigen freie Parkplätze in der Innenstadt an.")
    idea_id = _idea_number(erika)
    notices = to(erika.last_outbounds, moritz)
    assert len(notices) == 1, "the moderator of the idea's city is notified"
    notice = notices[0].reply
    assert de_start(NEW_IDEA) in notice.plain_text and "Digitale Parkplatzsuche" in notice.plain_text
    assert [b.label for b in notice.all_buttons()] == [
        f"✅ {idea_id} freigeben",
        f"{idea_id} ablehnen",
        f"{idea_id} ausblenden",
    ]
    assert not to(erika.last_outbounds, helga), "a moderator of another city is not"

    approve = notice.all_buttons()[0].payload
    outbounds = await moritz.send(moritz.inbound(InboundKind.BUTTON, approve))
    assert moritz.sees(decided(idea_id, "approved"))
    told = to(outbounds, erika)
    assert told and de_start(PUBLISHED) in told[0].reply.plain_text
    assert told[0].chat_id == "chat-erika", "in the chat where the idea was submitted"

    max_ = Chat(mod_engine, "max")
    await max_.onboard()
    await max_.presses("Ideen nach Thema")
    await max_.presses("Mobilität")
    await max_.presses("Ideen anzeigen")
    await max_.presses("Digitale Parkplatzsuche")
    await max_.presses("👍")
    outbounds = await moritz.send(moritz.inbound(InboundKind.COMMAND, f"/hide {idea_id}"))
    assert moritz.sees(decided(idea_id, "hidden")), moritz.reply.plain_text
    assert "wurde vom Moderationsteam ausgeblendet" in to(outbounds, max_)[0].reply.plain_text
    assert "Ihre Idee „Digitale Parkplatzsuche“ wurde vom Moderationsteam ausgeblendet." in (
        to(outbounds, erika)[0].reply.plain_text
    )


async def test_reject_needs_a_reason(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Seilbahn zum Schloss", "Eine Seilbahn vom Bahnhof hinauf zum Schloss Hellenstein.")
    first = _idea_number(erika)
    await moritz.says(f"/reject {first}")
    assert moritz.sees(de_start("Why is idea no. {number} not published? The author will read the reason."))
    assert resident(store, erika.identity) is not None
    assert store.run(lambda tx: tx.get_idea(first)).status == "pending"  # type: ignore[union-attr]
    outbounds = await moritz.send(
        moritz.inbound(InboundKind.BUTTON, moritz.button(de("it is not the cities' responsibility")))
    )
    assert moritz.sees(decided(first, "rejected"))
    assert (
        de(
            "Your idea “{title}” was not published. The reason: {reason}",
            title="Seilbahn zum Schloss",
            reason=de("it is not the cities' responsibility"),
        )
        in to(outbounds, erika)[0].reply.plain_text
    )

    await submit_idea(erika, "Mehr Mülleimer", "Im Park fehlen Mülleimer, besonders an den Bänken am See.")
    second = _idea_number(erika)
    outbounds = await moritz.send(moritz.inbound(InboundKind.COMMAND, f"/reject {second} Bitte beim Bauhof melden"))
    assert "Der Grund: Bitte beim Bauhof melden" in to(outbounds, erika)[0].reply.plain_text
    idea = store.run(lambda tx: tx.get_idea(second))
    assert idea is not None and idea.status == IdeaStatus.REJECTED


async def test_queue_lists_pending_oldest_first(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    older = seed_idea(store, "Ältere Idee", status=IdeaStatus.PENDING)
    newer = seed_idea(store, "Neuere Idee", status=IdeaStatus.PENDING)
    other = seed_idea(store, "Heidenheimer Idee", city="heidenheim", status=IdeaStatus.PENDING)
    await moritz.says("/queue")
    header, *messages = [o.reply for o in to(moritz.last_outbounds, moritz)]
    assert "2 von 2 Ideen warten auf eine Entscheidung, die ältesten zuerst" in header.plain_text
    # one message per idea, oldest first, each with its own buttons under it
    assert [m.plain_text.split("\n")[0] for m in messages] == [f"Nr. {older}: Ältere Idee", f"Nr. {newer}: Neuere Idee"]
    for idea_id, message in zip((older, newer), messages, strict=True):
        assert [b.label for b in message.buttons[0]] == [
            f"✅ {idea_id} freigeben",
            f"{idea_id} ablehnen",
            f"{idea_id} ausblenden",
        ]
    # another city's idea is not in the queue (it may be named among the similar ideas, by its title)
    assert not any(b.label == f"✅ {other} freigeben" for m in messages for b in m.all_buttons())
    first = {b.label: b.payload for b in messages[0].all_buttons()}
    await moritz.press_payload(first[f"✅ {older} freigeben"])
    assert moritz.sees(f"Idee Nr. {older} wurde freigegeben.")
    await moritz.says("/queue")
    header, message = [o.reply for o in to(moritz.last_outbounds, moritz)]
    assert "1 von 1 Ideen" in header.plain_text
    labels = [b.label for b in message.all_buttons()]
    assert f"✅ {older} freigeben" not in labels and f"✅ {newer} freigeben" in labels
    # the published older idea is now offered to take the newer one in
    assert f"🔗 Nr. {newer} mit Nr. {older} zusammenführen" in labels


async def test_queue_shows_ten_of_all_waiting(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    for n in range(13):
        seed_idea(store, f"Idee Nummer {n}", status=IdeaStatus.PENDING)
    await moritz.says("/queue")
    header, *messages = [o.reply for o in to(moritz.last_outbounds, moritz)]
    assert "10 von 13 Ideen warten auf eine Entscheidung" in header.plain_text
    assert len(messages) == 10


async def test_two_moderators_at_once_first_wins(busy_mod_engine: Engine) -> None:
    store = busy_mod_engine.store
    admin = Chat(busy_mod_engine, "admin")
    await admin.onboard()
    moritz = await make_moderator(admin, busy_mod_engine, "moritz")
    helga = await make_moderator(admin, busy_mod_engine, "helga")
    idea_id = seed_idea(store, "Gleichzeitig entschieden", status=IdeaStatus.PENDING)
    inbounds = [
        moritz.inbound(InboundKind.COMMAND, f"/approve {idea_id}"),
        helga.inbound(InboundKind.COMMAND, f"/reject {idea_id} doppelt"),
    ]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(busy_mod_engine.handle_blocking, inbounds))
    texts = [r[0].reply.plain_text for r in results]
    winners = [t for t in texts if "wurde freigegeben." in t or "wurde abgelehnt." in t]
    losers = [t for t in texts if "wurde bereits von test:" in t]
    assert len(winners) == 1 and len(losers) == 1
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status in ("approved", "rejected")
    assert_supports_consistent(store)


PRIVILEGED = [
    "/grant test:x moderator aalen",
    "/revoke test:x moderator aalen",
    "/queue",
    "/approve {id}",
    "/reject {id} weil",
    "/hide {id}",
    "/merge {id} {id2}",
    "/merge 9999 {id2}",
]


@pytest.mark.parametrize("command", PRIVILEGED)
async def test_residents_cannot_use_privileged_commands(mod_engine: Engine, store: Store, command: str) -> None:
    idea_id = seed_idea(store, "Bleibt wie sie ist", status=IdeaStatus.PENDING)
    published = seed_idea(store, "Schon veröffentlicht")
    mallory = Chat(mod_engine, "mallory")
    await mallory.onboard()
    await mallory.says(command.format(id=idea_id, id2=published))
    assert mallory.sees(de(NOT_ALLOWED))
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status == "pending"
    assert store.run(lambda tx: db.roles_of(tx, "test", "x")) == []
    refused = [e for e in audit(store) if e["actor"] == "test:mallory"]
    assert refused and refused[-1]["outcome"] == "refused"


async def test_forged_moderation_payloads(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Nachtbus am Wochenende", "Ein Nachtbus zwischen Aalen und Heidenheim am Samstag.")
    idea_id = _idea_number(erika)
    approve = to(erika.last_outbounds, moritz)[0].reply.all_buttons()[0].payload
    mallory = Chat(mod_engine, "mallory")
    await mallory.onboard()
    for payload in (approve, "a.forged-token", f"mod:approve:{idea_id}", "a." + "x" * 80):
        await mallory.press_payload(payload)
        assert mallory.sees(de(MENU_OUT_OF_DATE))
    await admin.says("/revoke test:moritz moderator aalen")
    await moritz.press_payload(approve)
    assert moritz.sees(de(NOT_ALLOWED)), "the role is checked when the button is pressed"
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status == "pending"


async def test_moderators_data_export_and_delete_cover_the_audit_log(
    admin: Chat, mod_engine: Engine, store: Store
) -> None:
    mallory = Chat(mod_engine, "mallory")
    await mallory.onboard()
    await mallory.says("/queue")
    await mallory.says("/privacy")
    await mallory.presses(de("Export my data"))
    import json

    exported = json.loads(mallory.reply.attachment.content)  # type: ignore[union-attr]
    assert [e["action"] for e in exported["audit_log"]] == ["queue"]
    await mallory.presses(de("Delete my data"))
    await mallory.presses(de("Yes, delete my data"))
    assert all(e["actor"] != "test:mallory" for e in audit(store))


async def supporters(engine: Engine, store: Store, idea_id: int, names: list[str]) -> list[Chat]:
    chats = []
    for name in names:
        chat = Chat(engine, name)
        if resident(store, chat.identity) is None:
            await chat.onboard()
        record = resident(store, chat.identity)
        assert record is not None
        store.run(lambda tx, rid=record.id: tx.add_vote(rid, idea_id, store.now()))
        chats.append(chat)
    return chats


async def test_merge_moves_supporters_and_counts_nobody_twice(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    duplicate = seed_idea(store, "WLAN im Bus")
    target = seed_idea(store, "Kostenloses WLAN in Bussen und Bahnen")
    await supporters(mod_engine, store, duplicate, ["a", "b", "c"])
    await supporters(mod_engine, store, target, ["c", "d"])
    outbounds = await moritz.send(moritz.inbound(InboundKind.COMMAND, f"/merge {duplicate} {target}"))
    assert moritz.sees(de(MERGED, number=duplicate, target=target, count=4))
    merged = store.run(lambda tx: tx.get_idea(duplicate))
    kept = store.run(lambda tx: tx.get_idea(target))
    assert merged is not None and merged.status == "merged" and merged.support_count == 0
    assert kept is not None and kept.support_count == 4, "a, b, c, d — c only once"
    assert store.run(lambda tx: tx.support_mismatches()) == []
    told = sorted(o.recipient.user_id for o in outbounds if o.recipient != moritz.identity)
    assert told == ["a", "b", "c"], "the duplicate's supporters hear where their support went"
    for bad in (f"/merge {duplicate}", f"/merge {target} {target}", f"/merge {target} 9999"):
        await moritz.says(bad)
        assert moritz.sees(de("Please write it like this: /merge 12 34 — merges idea 12 into the published idea 34."))
    await moritz.says(f"/merge {duplicate} {target}")
    assert moritz.sees(de(ALREADY, number=duplicate, status=de("decided"), who="test:moritz"))


async def test_staff_report_progress_to_author_and_supporters(admin: Chat, mod_engine: Engine, store: Store) -> None:
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Sensoren für Luftqualität", "Sensoren an Schulen messen Feinstaub und CO2 in der Luft.")
    idea_id = _idea_number(erika)
    await admin.says(f"/approve {idea_id}")
    fans = await supporters(mod_engine, store, idea_id, ["f1", "f2"])
    stefan = Chat(mod_engine, "stefan")
    await stefan.onboard()
    await stefan.says(f"/progress {idea_id} umsetzung")
    assert stefan.sees(de(NOT_ALLOWED))
    await admin.says("/grant test:stefan staff aalen")
    outbounds = await stefan.send(stefan.inbound(InboundKind.COMMAND, f"/progress {idea_id} umsetzung"))
    assert stefan.sees(
        de("Idea no. {number} is now: {progress}.", number=idea_id, progress=de("being put into practice"))
    )
    told = {o.recipient.user_id: o.reply.plain_text for o in outbounds if o.recipient != stefan.identity}
    assert set(told) == {"erika", "f1", "f2"}
    assert told["f1"] == de(
        "News about “{title}”: {progress}.", title="Sensoren für Luftqualität", progress=de("being put into practice")
    )
    await stefan.says(f"/progress {idea_id} nicht_umsetzbar")
    assert stefan.sees(
        de("Please write it like this: /progress 42 umsetzung — or geprüft, umgesetzt, nicht_umsetzbar with a reason.")
    ), "not feasible needs a reason"
    await stefan.says(f"/progress {idea_id} nicht_umsetzbar Kein Strom an den Standorten")
    await fans[0].says("/menu")
    await fans[0].presses("Ideen nach Thema")
    await fans[0].presses("Mobilität")
    await fans[0].presses("Ideen anzeigen")
    await fans[0].presses("Sensoren für Luftqualität")
    assert fans[0].sees("Status: nicht umsetzbar (Kein Strom an den Standorten)")
    assert not fans[0].sees("veröffentlicht"), "one status line"


async def test_daily_submission_limit(content: Content, languages: Languages, store: Store) -> None:
    engine = Engine(content, languages, store, submission_limit=2)
    try:
        erika = Chat(engine, "erika")
        await erika.onboard()
        for n in range(2):
            await submit_idea(erika, f"Idee Nummer {n}", "Eine Beschreibung, die lang genug ist, um zu passen.")
        await erika.presses(de("Submit an idea"))
        assert erika.sees("Sie haben in den letzten 24 Stunden 2 Ideen eingereicht")
        assert erika.sees(de("What would you like to do?"))
        record = resident(store, erika.identity)
        assert record is not None
        assert len(store.run(lambda tx: tx.ideas_of_author(record.id))) == 2
    finally:
        engine.close()


async def test_bar_and_unbar(admin: Chat, mod_engine: Engine, store: Store) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    troll = Chat(mod_engine, "troll")
    await troll.onboard()
    await troll.says("/bar test:moritz weil")
    assert troll.sees(de(NOT_ALLOWED))
    await troll.says("/menu")
    await moritz.says("/bar test:troll")
    assert moritz.sees(
        de("Please write it like this: /bar telegram:12345 reason — and /unbar telegram:12345 to lift it.")
    )
    await moritz.says("/bar test:niemand Spam")
    assert moritz.sees(de("Nobody with this identity has used the bot."))
    await moritz.says("/bar test:troll Wiederholt beleidigende Beiträge")
    assert moritz.sees(de("{identity} can no longer submit ideas.", identity="test:troll"))
    await troll.presses(de("Submit an idea"))
    assert troll.sees(de(BARRED, reason="Wiederholt beleidigende Beiträge"))
    await moritz.says("/unbar test:troll")
    assert moritz.sees(de("{identity} can submit ideas again.", identity="test:troll"))
    await troll.says("/menu")
    await troll.presses(de("Submit an idea"))
    assert troll.sees(de("You will be asked for:"))
    outcomes = [(e["actor"], e["action"], e["outcome"]) for e in audit(store)]
    assert ("test:troll", "bar", "refused") in outcomes
    assert ("test:moritz", "bar", "done") in outcomes and ("test:moritz", "unbar", "done") in outcomes


IDEA_COMMANDS = [
    "/approve {id}",
    "/reject {id}",
    "/reject {id} weil",
    "/hide {id}",
    "/merge {id} {other}",
    "/merge {other} {id}",
    "/merge {id}",
    "/progress {id} umgesetzt",
    "/progress {id}",
]


async def test_residents_learn_nothing_about_idea_numbers(mod_engine: Engine, store: Store) -> None:
    pending = seed_idea(store, "Geheimer Entwurf", status=IdeaStatus.PENDING)
    published = seed_idea(store, "Schon veröffentlicht")
    mallory = Chat(mod_engine, "mallory")
    await mallory.onboard()
    for command in IDEA_COMMANDS:
        answers = []
        for existing in (pending, published, 9999):
            await mallory.says(command.format(id=existing, other=published if existing != published else pending))
            assert mallory.sees(de(NOT_ALLOWED)), (
                command,
                existing,
                mallory.reply.plain_text,
            )
            assert [o.recipient for o in mallory.last_outbounds] == [mallory.identity], "nobody else is told"
            answers.append((mallory.reply.plain_text, mallory.labels()))
        assert answers[0] == answers[1] == answers[2], f"{command}: the answer tells which ideas exist"
        assert not any(title in mallory.reply.plain_text for title in ("Geheimer Entwurf", "Schon veröffentlicht"))
    first, second = store.run(lambda tx: (tx.get_idea(pending), tx.get_idea(published)))
    assert first is not None and first.status == "pending"
    assert second is not None and second.status == "approved" and second.progress is None


def notice_buttons(outbounds: list[Outbound], chat: Chat) -> dict[str, str]:
    """The buttons of the new-idea notice `chat` received: label -> payload."""
    notices = [o for o in to(outbounds, chat) if de_start(NEW_IDEA) in o.reply.plain_text]
    assert len(notices) == 1, f"{chat.identity} got {len(notices)} notices"
    return {b.label: b.payload for b in notices[0].reply.all_buttons()}


async def test_old_notification_buttons_die_once_the_idea_is_decided(
    admin: Chat, mod_engine: Engine, store: Store
) -> None:
    moritz = await make_moderator(admin, mod_engine, "moritz")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Sitzbänke am Kocher", "Mehr Sitzbänke am Kocherufer, mit Schatten im Sommer.")
    idea_id = _idea_number(erika)
    buttons = notice_buttons(erika.last_outbounds, moritz)
    await moritz.says("/queue")
    queue_hide = moritz.button(f"{idea_id} ausblenden")  # the last message: this idea's
    await admin.says(f"/approve {idea_id}")
    assert admin.sees(decided(idea_id, "approved"))
    await moritz.press_payload(queue_hide)
    assert moritz.sees(de(ALREADY, number=idea_id, status=de("approved"), who="test:admin")), "a /queue shown before"
    for label in (f"{idea_id} ausblenden", f"{idea_id} ablehnen", f"✅ {idea_id} freigeben"):
        outbounds = await moritz.send(moritz.inbound(InboundKind.BUTTON, buttons[label]))
        assert moritz.sees(de(ALREADY, number=idea_id, status=de("approved"), who="test:admin")), label
        assert to(outbounds, erika) == [], "the author hears nothing"
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status == "approved"
    await moritz.says(f"/hide {idea_id}")
    assert moritz.sees(decided(idea_id, "hidden")), "the command still hides a published idea"


def issued_days_ago(store: Store, payload: str, days: int) -> None:
    when = store.now() - timedelta(days=days)
    token = action_token_table.c.token == payload.removeprefix("a.")
    store.run(lambda tx: tx.execute(update(action_token_table).where(token).values(created_at=when)))


async def test_notification_buttons_expire(admin: Chat, mod_engine: Engine, store: Store) -> None:
    """ACTION_TOKEN_DAYS is 14 unless set."""
    moritz = await make_moderator(admin, mod_engine, "moritz")
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Sitzbänke am Kocher", "Mehr Sitzbänke am Kocherufer, mit Schatten im Sommer.")
    idea_id = _idea_number(erika)
    buttons = notice_buttons(erika.last_outbounds, moritz)
    issued_days_ago(store, buttons[f"✅ {idea_id} freigeben"], 15)
    issued_days_ago(store, buttons[f"{idea_id} ablehnen"], 13)
    await moritz.press_payload(buttons[f"✅ {idea_id} freigeben"])
    assert moritz.sees(de(MENU_OUT_OF_DATE))
    idea = store.run(lambda tx: tx.get_idea(idea_id))
    assert idea is not None and idea.status == "pending"
    await moritz.press_payload(buttons[f"{idea_id} ablehnen"])
    assert moritz.sees(
        de("Why is idea no. {number} not published? The author will read the reason.", number=idea_id)
    ), "13 days old: still valid"


async def test_the_notification_buttons_lifetime_is_a_setting(
    content: Content, languages: Languages, store: Store
) -> None:
    engine = Engine(content, languages, store, admins=[ADMIN], action_token_days=3)
    try:
        admin = Chat(engine, "admin")
        await admin.onboard()
        erika = Chat(engine, "erika")
        await erika.onboard()
        await submit_idea(erika, "Sitzbänke am Kocher", "Mehr Sitzbänke am Kocherufer, mit Schatten im Sommer.")
        approve = notice_buttons(erika.last_outbounds, admin)[f"✅ {_idea_number(erika)} freigeben"]
        issued_days_ago(store, approve, 4)
        await admin.press_payload(approve)
        assert admin.sees(de(MENU_OUT_OF_DATE))
    finally:
        engine.close()


async def test_admins_from_the_settings_hear_of_new_ideas_once(admin: Chat, mod_engine: Engine) -> None:
    erika = Chat(mod_engine, "erika")
    await erika.onboard()
    await submit_idea(erika, "Sitzbänke am Kocher", "Mehr Sitzbänke am Kocherufer, mit Schatten im Sommer.")
    idea_id = _idea_number(erika)
    assert f"✅ {idea_id} freigeben" in notice_buttons(erika.last_outbounds, admin)
    await admin.says("/grant test:admin moderator aalen")
    await erika.says("/menu")
    await submit_idea(erika, "Trinkbrunnen am Markt", "Im Sommer fehlt am Marktplatz ein Trinkbrunnen für alle.")
    notice_buttons(erika.last_outbounds, admin)  # exactly one, though admin and moderator
    await admin.press_payload(notice_buttons(erika.last_outbounds, admin)[f"✅ {idea_id + 1} freigeben"])
    assert admin.sees(decided(idea_id + 1, "approved"))


async def test_a_new_moderator_is_told_at_once(admin: Chat, mod_engine: Engine) -> None:
    moritz = Chat(mod_engine, "moritz")
    await moritz.onboard()
    outbounds = await admin.send(admin.inbound(InboundKind.COMMAND, "/grant test:moritz moderator aalen"))
    told = to(outbounds, moritz)
    assert [o.reply.plain_text for o in told] == [
        "Sie haben jetzt die Rolle Moderation für Aalen. Mit /help sehen Sie Ihre Befehle."
    ]
    assert told[0].chat_id == "chat-moritz" and told[0].reply.roles_changed
    await moritz.says("/help")
    assert moritz.sees("/queue – " + de("Ideas waiting for a decision"))
    assert not moritz.sees("/grant")
    outbounds = await admin.send(admin.inbound(InboundKind.COMMAND, "/revoke test:moritz moderator aalen"))
    told = to(outbounds, moritz)
    assert [o.reply.plain_text for o in told] == [
        de("You are no longer {role} for {city}.", role=de("moderator"), city=city("aalen"))
    ]
    assert told[0].reply.roles_changed
    await moritz.says("/help")
    assert not moritz.sees("/queue")


ROUNDS = 6


async def test_merge_during_a_storm_of_votes_loses_no_support(busy_mod_engine: Engine) -> None:
    """Residents press 👍 while a moderator merges the idea they support into another one.

    Whoever was told "Danke! Sie unterstützen jetzt diese Idee." supports the target
    afterwards (directly or moved there by the merge); no vote stays on a merged idea and
    every tally equals its vote rows.
    """
    store = busy_mod_engine.store
    admin = Chat(busy_mod_engine, "admin")
    await admin.onboard()
    moritz = await make_moderator(admin, busy_mod_engine, "moritz")
    voters = [Chat(busy_mod_engine, f"voter{n}") for n in range(VOTERS)]
    for voter in voters:
        await voter.onboard()
    thanked: list[tuple[Chat, int]] = []
    for round_ in range(ROUNDS):
        duplicate = seed_idea(store, f"Doppelte Idee {round_}")
        target = seed_idea(store, f"Zielidee {round_}")
        for n, voter in enumerate(voters):
            if n % 4 == 0:  # some already support the target: after the merge they count once
                await voter.says(f"/start idea_{target}")
                await voter.presses("👍")
            await voter.says(f"/start idea_{target if n % 4 == 1 else duplicate}")
        inbounds = [v.inbound(InboundKind.BUTTON, v.button("👍")) for v in voters]
        inbounds.insert(VOTERS // 2, moritz.inbound(InboundKind.COMMAND, f"/merge {duplicate} {target}"))
        barrier = threading.Barrier(len(inbounds))

        def handle(inbound: Inbound, barrier: threading.Barrier = barrier) -> list[Outbound]:
            barrier.wait()  # all at once, as far as the threads allow
            return busy_mod_engine.handle_blocking(inbound)

        with ThreadPoolExecutor(len(inbounds)) as pool:
            results = list(pool.map(handle, inbounds))
        texts = [r[0].reply.plain_text for r in results]
        assert any(f"Idee Nr. {duplicate} gehört jetzt zu Idee Nr. {target}." in t for t in texts)
        for voter, outbounds in zip(voters, [r for r in results if r[0].recipient != moritz.identity], strict=True):
            text = outbounds[0].reply.plain_text
            assert "etwas schiefgegangen" not in text
            if de("Thank you! You now support this idea.") in text:
                thanked.append((voter, target))
            else:
                assert de("Only published ideas can be supported.") in text, text
    assert thanked
    for voter, target in thanked:
        record = resident(store, voter.identity)
        assert record is not None
        assert store.run(lambda tx, rid=record.id, idea=target: tx.has_vote(rid, idea)), voter.identity
    assert_supports_consistent(store)
