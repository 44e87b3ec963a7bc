"""Residents can export everything stored about them, and delete it."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import idea_table, metadata
from storage.store import Store
from tests.chat import Chat
from tests.helpers import resident, seed_idea, support_count
from tests.test_journey import submit_idea
from tests.texts import DATA_DELETED, WELCOME, city, de


def every_value_in_store(store: Store) -> list[str]:
    values: list[str] = []
    with store.transaction() as tx:
        for table in metadata.sorted_tables:
            for row in tx.rows(select(table)):
                values.extend(str(value) for value in row)
    return values


async def test_export_holds_everything_stored_about_the_resident(erika: Chat, store: Store) -> None:
    idea_id = seed_idea(store, "Öffentliches WLAN am Marktplatz")
    await erika.onboard(city=city("aalen"))
    await submit_idea(erika, "Mehr Fahrradbügel", "Am Bahnhof fehlen sichere Abstellplätze für Räder.")
    await erika.presses("Ideen nach Thema")
    await erika.presses("Mobilität")
    await erika.presses("Ideen anzeigen")
    await erika.presses("Öffentliches WLAN")
    await erika.presses(de("👍 Support this idea"))
    await erika.says("/privacy")
    await erika.presses(de("Export my data"))
    assert erika.sees(de("Here is everything we have stored about you, as a JSON file."))
    attachment = erika.reply.attachment
    assert attachment is not None and attachment.mime_type == "application/json"
    data = json.loads(attachment.content)

    record = resident(store, erika.identity)
    assert record is not None
    [me] = data["resident"]
    assert me["platform"] == "test"
    assert me["user_id"] == "erika"
    assert me["chat_id"] == "chat-erika"
    assert me["language"] == "de"
    assert me["city"] == "aalen"
    assert data["conversation"][0]["state"] == "privacy"
    assert [(v["idea_id"], v["title"]) for v in data["vote"]] == [(idea_id, "Öffentliches WLAN am Marktplatz")]
    assert [i["title"] for i in data["idea"]] == ["Mehr Fahrradbügel"]
    assert data["idea"][0]["status"] == "pending"
    internal = {"menu", "last_press"} & set(data["conversation"][0]["context"])
    assert not internal, f"the export is for people: no menu state {internal}"
    # Every stored value that mentions the resident appears in the export.
    exported = json.dumps(data, ensure_ascii=False)
    for value in ("erika", "chat-erika", "Mehr Fahrradbügel", "Am Bahnhof fehlen sichere Abstellplätze"):
        assert value in exported


async def test_delete_removes_identity_votes_and_conversation(erika: Chat, max_: Chat, store: Store) -> None:
    idea_id = seed_idea(store, "Digitale Bürgersprechstunde", field_id="verwaltung")
    await max_.onboard()
    await erika.onboard()
    await submit_idea(erika, "Sensoren für Glatteis", "Eine Warnung vor Glatteis auf Radwegen im Winter.")
    for chat in (erika, max_):
        await chat.says("/menu")
        await chat.presses("Ideen nach Thema")
        await chat.presses("Digitale Verwaltung")
        await chat.presses("Ideen anzeigen")
        await chat.presses("Digitale Bürgersprechstunde")
        await chat.presses(de("👍 Support this idea"))
    assert support_count(store, idea_id) == 2

    await erika.says("/privacy")
    await erika.presses(de("Delete my data"))
    assert erika.sees(de("Really delete your data?"))
    await erika.presses(de("Yes, delete my data"))
    assert erika.sees(de(DATA_DELETED))
    assert erika.reply.buttons == ()

    assert resident(store, erika.identity) is None
    assert support_count(store, idea_id) == 1
    values = every_value_in_store(store)
    assert not any("erika" in value for value in values), "nothing identifying remains"
    with store.transaction() as tx:
        kept = tx.rows(select(idea_table.c.author_id).where(idea_table.c.title == "Sensoren für Glatteis"))
        assert kept == [(None,)], "the idea stays, without its author"

    await erika.says("Hallo")
    assert erika.sees(de(WELCOME)), "a deleted resident starts afresh"


async def test_delete_can_be_called_off(erika: Chat, store: Store) -> None:
    await erika.onboard()
    await erika.says("/privacy")
    await erika.presses(de("Delete my data"))
    await erika.presses(de("No, go back"))
    assert erika.sees(de("Your data"))
    assert resident(store, erika.identity) is not None
