"""A poll on Matrix against a real Synapse: answered by typing an option's number and by the
reactions 1️⃣–6️⃣ on the poll's message; taking a reaction back takes the option back."""

# ruff: noqa: F811 - the Synapse fixtures of tests/test_matrix.py are imported, then named as parameters
from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE
from dialogs.flows.polls import bar
from storage import moderation as moderation_db
from storage import polls
from storage.models import ALL_CITIES, Role
from storage.store import Store
from tests.helpers import start_broadcasts, subscribe_city_news
from tests.synapse_server import Synapse, why_not
from tests.test_matrix import MatrixResident, _names, anna, bot_user, start_bot, synapse  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(why_not() is not None, reason=why_not() or "")


async def test_a_poll_answered_by_number_and_by_reaction(
    engine: Engine,
    store: Store,
    synapse: Synapse,
    bot_user: str,
    anna: MatrixResident,
) -> None:
    bot = await start_bot(engine, synapse, bot_user, rate=5.0)
    service = await start_broadcasts(engine, [bot.transport()])
    dora = MatrixResident(synapse, f"dora{next(_names)}")
    try:
        await dora.login()
        for person in (anna, dora):
            await person.invite(bot_user)
            await person.says("/start")
            await person.says("1")
            await person.says("Aalen")
        await subscribe_city_news(lambda label: anna.says(anna.number_of(label)))
        store.run(lambda tx: moderation_db.grant(tx, "matrix", dora.user, Role.STAFF, ALL_CITIES, "test", store.now()))
        await dora.says("/umfrage")
        await dora.says("Welches Projekt soll Aalen zuerst angehen?")
        await dora.says("Stadtpark\nRadweg\nBusanzeige")
        await dora.says(dora.number_of("Mehrere Antworten"))
        await dora.says(dora.number_of("Neuigkeiten aus Aalen (1)"))
        await dora.says((store.now() + timedelta(days=2)).astimezone(ZONE).strftime("%d.%m.%Y %H:%M"))
        await dora.says(dora.number_of("Ja, anzeigen"))
        await dora.says(dora.number_of("Jetzt an 1 Person senden"))

        received = await anna.wait_for_notices(len(anna.notices) + 1)
        assert "Welches Projekt soll Aalen zuerst angehen?" in received.body and "2. Radweg" in received.body
        [poll] = store.run(lambda tx: polls.recent(tx))
        await anna.says("2")
        assert "Danke!" in anna.last and f"Radweg: {bar(100)} 100 %" in anna.last, "the typed number answers"

        before = len(anna.notices)
        reaction = await anna.send(
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": received.event_id, "key": "3️⃣"}}, "m.reaction"
        )
        await anna.wait_for_notices(before + 1)
        assert "Danke!" in anna.last
        assert store.run(lambda tx: polls.totals(tx, poll)).counts == [0, 1, 1], "the reaction adds Busanzeige"
        await anna.client.room_redact(anna.room, reaction)
        await anna.wait_for_notices(before + 2)
        assert store.run(lambda tx: polls.totals(tx, poll)).counts == [0, 1, 0], "taking it back takes it back"
    finally:
        await service.stop()
        await dora.close()
        await bot.stop()
