"""„Freunde einladen": a link that opens an idea on the platform the resident uses, and only that idea.

Through the engine and the console (no link: the command), the Telegram adapter against the local
Bot API server (a t.me deep link with the bot's username), the web chat's socket (``/?idea=N``) and
the WhatsApp adapter against the local Cloud API (a wa.me link). Matrix: tests/test_matrix.py;
the page's own handling of ``?idea=N`` in a browser: tests/test_web_browser.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.web.server import create_app
from dialogs.engine import Engine
from dialogs.invitations import Invitation
from storage.models import IdeaStatus
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram
from tests.fake_whatsapp import FakeWhatsApp
from tests.helpers import seed_idea, state_of, support_count
from tests.test_console import number_of
from tests.test_telegram import TelegramResident
from tests.texts import MENU_OUT_OF_DATE, city, de, de_plural
from tests.web_helpers import WebResident, text_of, web_client
from tests.whatsapp_helpers import WhatsAppResident, whatsapp_bot

INVITE = "Invite friends"
SHARE = "Share this link with friends and neighbours. It opens this idea, so that they can support it too."
BY_COMMAND = "Others open this idea by sending this message to the bot:"
UNAVAILABLE = "This idea is not available: it does not exist, or it is not published (any more)."
TITLE = "Trinkbrunnen am Marktplatz"


def one_supporter() -> str:
    return de_plural("{count} person supports it.", "{count} people support it.", 1)


async def test_console_shows_the_command_and_a_friend_opens_the_idea(engine: Engine, store: Store) -> None:
    idea = seed_idea(store, TITLE)
    erika = ConsoleAdapter(context_for(engine), "erika", write=lambda _text: None)
    await erika.say("/start")
    out = await erika.say("1")
    out = await erika.say(number_of(out, city("aalen")))
    out = await erika.say(f"/start idea_{idea}")
    assert TITLE in out
    out = await erika.say(number_of(out, de(INVITE)))
    assert de(BY_COMMAND) in out and f"/start idea_{idea}" in out
    assert "http" not in out, "the console has no link to share"
    out = await erika.say(number_of(out, de("Back")))
    assert TITLE in out and de(INVITE) in out, "„Zurück“ leads to the idea"

    max_ = ConsoleAdapter(context_for(engine), "max", write=lambda _text: None)
    out = await max_.say(f"/start idea_{idea}")
    out = await max_.say(number_of(out, "Deutsch"))
    out = await max_.say(number_of(out, city("heidenheim")))
    assert TITLE in out and de("👍 Support this idea") in out


async def test_only_a_published_idea_gives_a_link(erika: Chat, store: Store) -> None:
    published = seed_idea(store, TITLE)
    pending = seed_idea(store, "Noch nicht geprüft", status=IdeaStatus.PENDING)
    await erika.onboard()
    await erika.says(f"/start idea_{published}")
    assert erika.sees_button(de(INVITE))
    invite = erika.button(de(INVITE))
    store.run(lambda tx: tx.set_idea_status(published, IdeaStatus.HIDDEN, store.now()))
    await erika.press_payload(invite)
    assert erika.sees(de(MENU_OUT_OF_DATE)) and not erika.sees(f"idea_{published}")
    assert not erika.sees(TITLE), "a hidden idea's text is not shown again"
    assert not erika.sees_button(de(INVITE))

    await erika.says(f"/start idea_{pending}")
    assert erika.sees(de(UNAVAILABLE)) and not erika.sees_button(de(INVITE))
    await erika.says("/start idea_999")
    assert erika.sees(de(UNAVAILABLE)) and not erika.sees_button(de(INVITE))


async def test_an_idea_hidden_while_its_invitation_is_open_gives_no_link_on_return(erika: Chat, store: Store) -> None:
    idea = seed_idea(store, TITLE)
    await erika.onboard()
    await erika.says(f"/start idea_{idea}")
    await erika.presses(de(INVITE))
    assert erika.sees(f"/start idea_{idea}")
    store.run(lambda tx: tx.set_idea_status(idea, IdeaStatus.HIDDEN, store.now()))
    await erika.says("/menu")
    await erika.says(f"/start idea_{idea}")
    assert erika.sees(de(UNAVAILABLE))


async def test_a_friend_in_the_other_city_opens_it_too(erika: Chat, max_: Chat, store: Store) -> None:
    idea = seed_idea(store, TITLE, city="aalen")
    await erika.onboard(city="Aalen")
    await erika.says(f"/start idea_{idea}")
    await erika.presses(de(INVITE))
    await max_.says(f"/start idea_{idea}")
    await max_.presses("Deutsch")
    await max_.presses("Heidenheim")
    assert max_.sees(TITLE) and state_of(store, max_.identity) == "idea"
    await max_.presses(de("👍 Support this idea"))
    assert support_count(store, idea) == 1


async def test_the_invitation_names_the_idea_and_nobody(engine: Engine, store: Store) -> None:
    """Two residents of one platform get the same link: it carries the idea's number and nothing else."""
    idea = seed_idea(store, TITLE)
    engine.invitations.offer("test", lambda link: Invitation(url=f"https://example.org/?start={link}"))
    links = []
    for name in ("erika", "max"):
        chat = Chat(engine, name)
        await chat.onboard()
        await chat.says(f"/start idea_{idea}")
        await chat.presses(de(INVITE))
        assert chat.sees(de(SHARE))
        links.append([span.url for block in chat.reply.blocks for span in block.spans if span.url])
    assert links == [[f"https://example.org/?start=idea_{idea}"]] * 2


async def test_telegram_link_has_the_bots_username_and_opens_the_idea_for_a_friend(
    polling: TelegramAdapter, fake: FakeTelegram, store: Store
) -> None:
    idea = seed_idea(store, TITLE)
    lena = TelegramResident(fake, 55)
    await lena.says(f"/start idea_{idea}")
    await lena.presses("Deutsch")
    await lena.presses(city("aalen"))
    await lena.presses(de(INVITE))
    link = f"https://t.me/{fake.username}?start=idea_{idea}"
    assert lena.sees(de(SHARE)) and lena.sees(link)
    assert f'href="{link}"' in fake.last_message(55).text
    await lena.presses(de("Back"))
    assert lena.sees(TITLE) and de(INVITE) in lena.labels()

    # the friend taps the link: Telegram opens the chat, and its Start button sends the deep link
    jonas = TelegramResident(fake, 66)
    await jonas.says(f"/start idea_{idea}")
    await jonas.presses("Deutsch")
    await jonas.presses(city("heidenheim"))
    assert jonas.sees(TITLE)
    await jonas.presses(de("👍 Support this idea"))
    assert jonas.sees(one_supporter())


async def test_web_link_opens_the_idea_in_the_web_chat(engine: Engine, store: Store) -> None:
    idea = seed_idea(store, TITLE)
    async with web_client(engine) as client:
        base = str(client.make_url("/")).rstrip("/")
        anna = WebResident(base)
        try:
            await anna.open()
            await anna.says(f"/start idea_{idea}")
            await anna.presses("Deutsch")
            await anna.presses(city("aalen"))
            await anna.presses(de(INVITE))
            link = f"{engine.web_base_url}/?idea={idea}"
            assert de(SHARE) in text_of(anna.frame) and link in text_of(anna.frame)
            urls = [span["url"] for block in anna.frame["blocks"] for span in block["spans"] if span.get("url")]
            assert urls == [link]
            await anna.presses(de("Back"))
            assert TITLE in text_of(anna.frame)
        finally:
            await anna.close()

        # a friend opens …/?idea=N: the page loads, and its socket asks for the idea (chat.js)
        ben = WebResident(base)
        try:
            status, _html = await ben.load_page()
            assert status == 200
            ben.socket = await ben.http.ws_connect(f"{base}/ws?start=idea_{idea}", headers={"Origin": base})
            await ben.next()
            await ben.presses("Deutsch")
            await ben.presses(city("heidenheim"))
            assert TITLE in text_of(ben.frame)
            await ben.presses(de("👍 Support this idea"))
            assert one_supporter() in text_of(ben.frame)
            await ben.close_page()

            # the page comes back without the link (a reload): where the resident was, nothing opened anew
            ben.socket = await ben.http.ws_connect(f"{base}/ws", headers={"Origin": base})
            await ben.next()
            assert TITLE in text_of(ben.frame)
        finally:
            await ben.close()


@pytest.mark.parametrize("junk", ["idea_", "idea_abc", "idea_1234567890", "../idea_1", "field_x", "idea_1 x"])
async def test_a_made_up_link_on_the_socket_opens_nothing(engine: Engine, store: Store, junk: str) -> None:
    seed_idea(store, TITLE)
    async with web_client(engine) as client:
        base = str(client.make_url("/")).rstrip("/")
        anna = WebResident(base)
        try:
            await anna.open()
            await anna.presses("Deutsch")
            await anna.presses(city("aalen"))
            await anna.close_page()
            anna.socket = await anna.http.ws_connect(f"{base}/ws", params={"start": junk}, headers={"Origin": base})
            await anna.next()
            assert de("What would you like to do?") in text_of(anna.frame), "the current screen, nothing else"
        finally:
            await anna.close()


async def test_a_link_to_a_missing_idea_on_the_socket_says_so(engine: Engine, store: Store) -> None:
    async with web_client(engine) as client:
        base = str(client.make_url("/")).rstrip("/")
        anna = WebResident(base)
        try:
            await anna.open()
            await anna.presses("Deutsch")
            await anna.presses(city("aalen"))
            await anna.close_page()
            anna.socket = await anna.http.ws_connect(f"{base}/ws?start=idea_999", headers={"Origin": base})
            await anna.next()
            assert de(UNAVAILABLE) in text_of(anna.frame)
        finally:
            await anna.close()


def test_the_web_link_uses_the_public_address(engine: Engine) -> None:
    create_app(engine, public_url="https://mitmachen.example.de/")
    assert engine.invitations.for_idea("web", 42).url == "https://mitmachen.example.de/?idea=42"


def test_a_web_chat_on_every_address_without_a_public_one_shares_the_command(engine: Engine) -> None:
    """WEB_HOST=0.0.0.0 and no PUBLIC_URL: http://0.0.0.0:8080/ would lead a friend nowhere."""
    engine.web_base_url = "http://0.0.0.0:8080"
    create_app(engine)
    invitation = engine.invitations.for_idea("web", 42)
    assert invitation.url is None and invitation.send == "/start idea_42"


@pytest.fixture
async def whatsapp() -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp()
    await server.start()
    yield server
    await server.stop()


async def test_whatsapp_link_is_a_chat_with_the_bots_number(
    engine: Engine, store: Store, whatsapp: FakeWhatsApp
) -> None:
    idea = seed_idea(store, TITLE)
    async with whatsapp_bot(engine, whatsapp) as (adapter, _base):
        erika = WhatsAppResident(whatsapp, "4917612345678")
        await erika.says(f"idea_{idea}")
        await erika.presses("Deutsch")
        await erika.presses("Aalen")
        await erika.presses(de(INVITE))
        digits = "".join(char for char in adapter.number if char.isdigit())
        link = f"https://wa.me/{digits}?text=idea_{idea}"
        assert digits and erika.sees(de(SHARE)) and erika.sees(link)
        assert "4917612345678" not in "\n".join(message.text for message in erika.answer)

        # the friend taps it: WhatsApp opens the chat with "idea_N" typed in
        friend = WhatsAppResident(whatsapp, "4915112345678")
        await friend.says(f"idea_{idea}")
        await friend.presses("Deutsch")
        await friend.presses("Heidenheim")
        assert friend.sees(TITLE)
