"""Polls in the web chat (a transcript: the poll arrives, one tap answers, a second changes it)
and on the staff dashboard (an SVG chart per poll, overall, per city and per platform)."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.web.transport import WebTransport
from dialogs.engine import Engine
from dialogs.flows.broadcast import ZONE
from dialogs.flows.polls import bar
from storage import polls
from storage.store import Store
from tests.chat import Chat
from tests.helpers import start_broadcasts
from tests.test_broadcast_compose import make_staff
from tests.test_broadcast_delivery import web_resident
from tests.web_helpers import payload, text_of, web_client

QUESTION = "Ist die neue Busanzeige am Bahnhof gut lesbar?"


async def test_a_poll_in_the_web_chat_and_on_the_dashboard(engine: Engine, store: Store) -> None:
    async with web_client(engine) as client:
        service = await start_broadcasts(engine, [WebTransport(client.server.app, 50.0)])
        person = await web_resident(client, subscribe=True)
        try:
            anna = Chat(engine, "anna")
            await anna.onboard()
            make_staff(store, anna)
            await anna.says("/umfrage")
            await anna.says(QUESTION)
            await anna.says("Ja, gut lesbar\nGeht so\nNein")
            await anna.presses("Eine Antwort")
            await anna.presses("Alle Abonnierenden")
            await anna.says((store.now() + timedelta(days=3)).astimezone(ZONE).strftime("%d.%m.%Y %H:%M"))
            await anna.presses("Ja, anzeigen")
            await anna.presses("Jetzt an 1 Person senden")
            [poll] = store.run(lambda tx: polls.recent(tx))
            frame = await person.next()
            assert QUESTION in text_of(frame) and frame["notification"] is True
            assert payload(frame, "Geht so") == f"p.{poll.id}.1"
            await person.presses("Geht so")
            assert "Danke!" in text_of(person.frame) and f"Geht so: {bar(100)} 100 %" in text_of(person.frame)
            await person.presses("Ja, gut lesbar")
            assert f"Ja, gut lesbar: {bar(100)} 100 %" in text_of(person.frame)
            assert f"Geht so: {bar(0)} 0 %" in text_of(person.frame), "changed, not counted twice"

            await anna.says("/dashboard")
            link = anna.reply.plain_text.split("http://127.0.0.1:8080", 1)[1].split()[0]
            token = link.split("token=", 1)[1]
            own = str(client.make_url("/")).rstrip("/")
            signed_in = await client.post(
                "/dashboard/login", data={"token": token}, headers={"Origin": own}, allow_redirects=False
            )
            assert signed_in.status == 303
            html = await (await client.get("/dashboard")).text()
            assert f"Umfrage Nr. {poll.id} – offen bis" in html and QUESTION in html
            assert html.count("<svg") == 5 + 3, "the five overview charts and three for the poll"
            assert "Antworten: 1" in html and "Web-Chat" in html
        finally:
            await service.stop()
            await person.close()
