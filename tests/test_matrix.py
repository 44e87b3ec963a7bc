"""The Matrix adapter against a real Synapse homeserver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    RoomCreateResponse,
    RoomMessageFile,
    RoomMessageNotice,
    RoomSendResponse,
    SyncResponse,
)

from bot.adapters.matrix.adapter import MatrixAdapter
from bot.adapters.matrix.render import to_html, to_plain
from bot.adapters.matrix.settings import MatrixSettings
from bot.adapters.protocol import context_for
from dialogs.engine import Engine
from dialogs.messages import Block, Button, InboundKind, Reply, Span
from storage.store import Store
from tests.helpers import seed_idea, subscribe_city_news, support_count
from tests.synapse_server import Synapse, why_not
from tests.texts import CITY_QUESTION, WELCOME, city, de, en, field

ENCRYPTED = (
    "This room is end-to-end encrypted, and I cannot read encrypted messages. "
    "Please write to me in a room without encryption."
)

pytestmark = pytest.mark.skipif(why_not() is not None, reason=why_not() or "")
_names = itertools.count(1)
EVERY_EVENT = {"room": {"timeline": {"limit": 500}}}
"""The residents' clients see every event (Synapse sends 10 per room without a filter)."""


@pytest.fixture(scope="module")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    yield server
    server.stop()


class MatrixResident:
    """Someone in Element, say: writes in a direct room with the bot and reads its notices."""

    def __init__(self, synapse: Synapse, name: str) -> None:
        self.synapse = synapse
        self.user = synapse.register(name, "resident-password")
        self.client = AsyncClient(synapse.url, self.user)
        self.room = ""
        self.notices: list[RoomMessageNotice] = []
        self.files: list[RoomMessageFile] = []
        self.invited_to: list[str] = []
        """Rooms others (the bot) invited this person to."""
        self.since: str | None = None

    async def login(self) -> None:
        await self.client.login("resident-password")
        await self._sync(0)

    async def _sync(self, timeout: int = 1000) -> None:
        response = await self.client.sync(timeout=timeout, since=self.since, sync_filter=EVERY_EVENT)
        assert isinstance(response, SyncResponse)
        self.since = response.next_batch
        self.invited_to.extend(response.rooms.invite)
        for room_id, room in response.rooms.join.items():
            for event in room.timeline.events:
                if room_id == self.room and isinstance(event, RoomMessageNotice) and event.sender != self.user:
                    self.notices.append(event)
                if room_id == self.room and isinstance(event, RoomMessageFile) and event.sender != self.user:
                    self.files.append(event)

    async def invite(self, bot_user: str, encrypted: bool = False) -> RoomMessageNotice:
        """A direct room with the bot; returns the bot's greeting."""
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        response = await self.client.room_create(
            is_direct=True, invite=[bot_user], initial_state=state if encrypted else ()
        )
        assert isinstance(response, RoomCreateResponse)
        self.room = response.room_id
        deadline = time.monotonic() + 20
        while True:
            members = await self.client.joined_members(self.room)
            if bot_user in [m.user_id for m in members.members]:  # type: ignore[union-attr]
                break
            assert time.monotonic() < deadline, "the bot did not accept the invite"
            await asyncio.sleep(0.1)
        return await self.wait_for_notices(len(self.notices) + 1)

    async def send(self, content: dict[str, Any], kind: str = "m.room.message") -> str:
        response = await self.client.room_send(self.room, kind, content)
        assert isinstance(response, RoomSendResponse)
        return str(response.event_id)

    async def wait_for_notices(self, count: int, timeout: float = 20) -> RoomMessageNotice:
        deadline = time.monotonic() + timeout
        while len(self.notices) < count:
            assert time.monotonic() < deadline, f"expected {count} notices, got {len(self.notices)}"
            await self._sync()
        return self.notices[count - 1]

    async def catch_up(self) -> None:
        """Read whatever arrived, without waiting for more."""
        await self._sync(0)

    async def says(self, text: str) -> RoomMessageNotice:
        before = len(self.notices)
        await self.send({"msgtype": "m.text", "body": text})
        return await self.wait_for_notices(before + 1)

    @property
    def last(self) -> str:
        return self.notices[-1].body

    def number_of(self, label: str) -> str:
        for line in self.last.splitlines():
            number, _dot, rest = line.partition(". ")
            if number.isdigit() and rest.startswith(label):
                return number
        raise AssertionError(f"no option {label!r} in {self.last!r}")

    async def close(self) -> None:
        await self.client.close()


@pytest.fixture
async def bot_user(synapse: Synapse) -> str:
    return synapse.register(f"mitmachbot{next(_names)}", "bot-password")


async def start_bot(
    engine: Engine,
    synapse: Synapse,
    bot_user: str,
    *,
    encryption: bool | None = None,
    store: Path | None = None,
    rate: float = 2.0,
) -> MatrixAdapter:
    settings = MatrixSettings(
        homeserver=synapse.url,
        user=bot_user,
        password="bot-password",
        store_path=store or Path(tempfile.mkdtemp(prefix="matrix-store-")),
        rate=rate,
    )
    adapter = MatrixAdapter(context_for(engine), settings, encryption=encryption)
    await adapter.start()
    return adapter


@pytest.fixture
async def anna(synapse: Synapse) -> AsyncIterator[MatrixResident]:
    resident = MatrixResident(synapse, f"anna{next(_names)}")
    await resident.login()
    yield resident
    await resident.close()


async def test_journey_support_by_number_and_by_reaction(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    idea_id = seed_idea(store, "Sensoren für freie Parkplätze")
    bot = await start_bot(engine, synapse, bot_user)
    try:
        await anna.invite(bot_user)
        await anna.says("/start")
        assert de(WELCOME) in anna.last and "1. Deutsch" in anna.last
        assert anna.notices[-1].source["content"]["format"] == "org.matrix.custom.html"
        await anna.says("1")
        await anna.says("Aalen")
        assert "Was möchten Sie tun?" in anna.last
        await anna.says(anna.number_of("Ideen nach Thema"))
        await anna.says(anna.number_of("Mobilität"))
        await anna.says(anna.number_of("Ideen anzeigen"))
        await anna.says(anna.number_of("Sensoren für freie Parkplätze"))
        await anna.says(anna.number_of(de("👍 Support this idea")))
        assert de("Thank you! You now support this idea.") in anna.last
        assert support_count(store, idea_id) == 1
        await anna.says(anna.number_of(de("Withdraw my support")))
        assert support_count(store, idea_id) == 0

        idea_message = anna.notices[-1].event_id
        before = len(anna.notices)
        reaction = await anna.send(
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": idea_message, "key": "👍"}}, "m.reaction"
        )
        await anna.wait_for_notices(before + 1)
        assert de("Thank you! You now support this idea.") in anna.last
        assert support_count(store, idea_id) == 1
        await anna.client.room_redact(anna.room, reaction)
        await anna.wait_for_notices(before + 2)
        assert de("You no longer support this idea.") in anna.last
        assert support_count(store, idea_id) == 0

        before = len(anna.notices)
        await anna.send({"msgtype": "m.notice", "body": "Ich bin auch ein Bot"})
        await anna.says("/help")
        assert len(anna.notices) == before + 1, "a notice is never answered"
    finally:
        await bot.stop()


async def test_an_invitation_is_a_matrix_to_link_and_what_to_send_there(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    """„Freunde einladen": matrix.to opens a direct chat with the bot; a link cannot carry a first
    message, so the invitation says what to send, and that opens the idea for the friend."""
    idea_id = seed_idea(store, "Trinkbrunnen am Marktplatz")
    bot = await start_bot(engine, synapse, bot_user)
    ben = MatrixResident(synapse, f"ben{next(_names)}")
    await ben.login()
    try:
        await anna.invite(bot_user)
        await anna.says(f"/start idea_{idea_id}")
        await anna.says("1")
        await anna.says("Aalen")
        assert "Trinkbrunnen am Marktplatz" in anna.last
        await anna.says(anna.number_of(de("Invite friends")))
        link = f"https://matrix.to/#/{bot_user}"
        assert link in anna.last and f"/start idea_{idea_id}" in anna.last
        assert f'href="{link}"' in anna.notices[-1].source["content"]["formatted_body"]

        await ben.invite(bot_user)
        await ben.says(f"/start idea_{idea_id}")
        await ben.says("1")
        await ben.says(city("heidenheim"))
        assert "Trinkbrunnen am Marktplatz" in ben.last
    finally:
        await ben.close()
        await bot.stop()


async def test_a_picture_with_a_caption_is_read_as_its_caption(
    engine: Engine, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    """Matrix 1.10: a media message with a `filename` carries a caption in `body`; without one,
    `body` is the file's name and the picture is not read."""
    bot = await start_bot(engine, synapse, bot_user)
    try:
        await anna.invite(bot_user)
        await anna.says("1")
        await anna.says(city("aalen"))
        before = len(anna.notices)
        await anna.send(
            {
                "msgtype": "m.image",
                "body": "Kaputte Bank am Kocher",
                "filename": "bank.jpg",
                "url": "mxc://localhost/abc",
            }
        )
        answer = await anna.wait_for_notices(before + 1)
        assert de("Would you like to submit this as an idea?") in answer.body and "Kaputte Bank" in answer.body
    finally:
        await bot.stop()


async def test_restart_loses_and_repeats_nothing(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    bot = await start_bot(engine, synapse, bot_user)
    await anna.invite(bot_user)
    await anna.says("/start")
    await anna.says("1")
    await bot.stop()

    before = len(anna.notices)
    await anna.send({"msgtype": "m.text", "body": "Heidenheim"})
    await asyncio.sleep(0.5)
    restarted = await start_bot(engine, synapse, bot_user)
    try:
        await anna.wait_for_notices(before + 1)
        assert de("What would you like to do?") in anna.last, "the message sent while the bot was down is answered"
        await asyncio.sleep(1.5)
        await anna._sync()
        assert len(anna.notices) == before + 1, "and nothing is answered twice"
        assert restarted.client.device_id == bot.client.device_id, "the same device after a restart"
        await anna.says(anna.number_of(de("Settings")))
        assert de("Language: {language}", language="Deutsch") in anna.last, (
            "after a restart a typed number still chooses an option"
        )
    finally:
        await restarted.stop()


async def test_without_the_e2e_extra_encrypted_rooms_are_declined_plainly(
    engine: Engine, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    bot = await start_bot(engine, synapse, bot_user, encryption=False)
    try:
        await anna.invite(bot_user, encrypted=True)
        content = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgAEnACgAkL",
            "sender_key": "x",
            "session_id": "s",
            "device_id": "D",
        }
        await anna.send(content, "m.room.encrypted")
        notice = await anna.wait_for_notices(1)
        assert de(ENCRYPTED) in notice.body
    finally:
        await bot.stop()


async def test_end_to_end_encrypted_conversation(
    engine: Engine, synapse: Synapse, bot_user: str, tmp_path: Path
) -> None:
    from nio import AsyncClientConfig
    from nio.crypto import ENCRYPTION_ENABLED

    if not ENCRYPTION_ENABLED:
        pytest.skip("matrix-nio's e2e extra (python-olm) is not installed")
    bot = await start_bot(engine, synapse, bot_user, encryption=True, store=tmp_path / "bot-store")
    resident = MatrixResident(synapse, f"bea{next(_names)}")
    (tmp_path / "bea-store").mkdir()
    resident.client = AsyncClient(
        synapse.url,
        resident.user,
        store_path=str(tmp_path / "bea-store"),
        config=AsyncClientConfig(encryption_enabled=True),
    )
    try:
        await resident.login()
        await resident.client.keys_upload()
        await resident.invite(bot_user, encrypted=True)
        await resident._sync(0)
        await resident.client.keys_query()
        before = len(resident.notices)
        await resident.client.room_send(
            resident.room, "m.room.message", {"msgtype": "m.text", "body": "/start"}, ignore_unverified_devices=True
        )
        notice = await resident.wait_for_notices(before + 1, timeout=30)
        assert de(WELCOME) in notice.body
        assert notice.decrypted, "the bot answered encrypted"
    finally:
        await resident.close()
        await bot.stop()


def test_rendering_escapes_everything() -> None:
    reply = Reply(
        blocks=(Block((Span("<script>alert(1)</script> & Co", "bold"),)), Block((Span("Punkt"),), item=True)),
        buttons=((Button("<b>Ja</b>", "1.0"),),),
    )
    html = to_html(reply)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Ja&lt;/b&gt;" in html
    assert html.startswith("<p><b>") and "<ul><li>Punkt</li></ul>" in html and "<ol><li>" in html
    assert to_plain(reply).endswith("1. <b>Ja</b>")


async def test_run_serves_matrix_beside_the_web_chat(
    synapse: Synapse, bot_user: str, anna: MatrixResident, tmp_path: Path
) -> None:
    import signal

    from tests.cli import start_run
    from tests.test_run import free_port

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(free_port()),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER": bot_user,
        "MATRIX_PASSWORD": "bot-password",
        "MATRIX_STORE_PATH": str(tmp_path / "matrix-store"),
    }
    process, line = await start_run(env)
    try:
        assert f"Matrix {bot_user}" in line, line
        await anna.invite(bot_user)
        await anna.says("/start")
        assert de(WELCOME) in anna.last
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert "bot-password" not in (out + err).decode()


async def test_of_two_workers_one_runs_matrix_and_another_takes_over(
    synapse: Synapse, bot_user: str, anna: MatrixResident, tmp_path: Path, postgres_url: str
) -> None:
    """`--workers 2`: every message is answered once (one sync loop); a killed worker's Matrix goes on."""
    import signal
    import subprocess

    from tests.cli import spawn_run
    from tests.test_run import free_port

    env = {
        "DATABASE_URL": postgres_url,
        "WEB_PORT": str(free_port()),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER": bot_user,
        "MATRIX_PASSWORD": "bot-password",
        "MATRIX_STORE_PATH": str(tmp_path / "matrix-store"),
    }
    process = await spawn_run(env, "--workers", "2")
    assert process.stdout is not None and process.stderr is not None
    log = asyncio.ensure_future(process.stderr.read())  # read as it comes, so that no worker waits on a full pipe
    try:
        for _ in range(2):
            assert "Mitmach-Bot is running" in (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        await anna.invite(bot_user)
        for round_ in range(3):
            before = len(anna.notices)
            await anna.send({"msgtype": "m.text", "body": "/help"})
            await anna.wait_for_notices(before + 1, timeout=60)
            await asyncio.sleep(2)
            await anna.catch_up()
            assert len(anna.notices) == before + 1, "one sync loop: answered once"
            assert "So funktioniert es" in anna.last
            if round_ == 0:  # kill one first worker, then the other: the one running Matrix is among them
                ps = ["ps", "-o", "pid=", "--ppid", str(process.pid)]
                children = subprocess.run(ps, capture_output=True, text=True)
                first_workers = [int(pid) for pid in children.stdout.split()]
                assert len(first_workers) == 2, children.stdout
            if round_ < 2:
                os.kill(first_workers[round_], signal.SIGKILL)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
    err = (await log).decode()
    assert process.returncode == 0, err[-2000:]
    assert err.count("matrix: this worker runs it now") >= 2, "taken up again after the worker running it was killed"


async def test_joins_held_back_by_synapse_defaults_do_not_hold_up_answers(engine: Engine, tmp_path: Path) -> None:
    """Synapse's own limits let the bot join 10 rooms at once, then one every 10 s: twelve invites
    at once leave two waiting, and meanwhile a resident already talking to the bot is answered."""
    server = Synapse(tmp_path / "defaults", default_limits=True)
    server.start()
    people: list[MatrixResident] = []
    bot: MatrixAdapter | None = None
    try:
        bot_user = server.register("einladungsbot", "bot-password")
        bot = await start_bot(engine, server, bot_user, encryption=False)
        anna = MatrixResident(server, "anna")
        people.append(anna)
        await anna.login()
        await anna.invite(bot_user)
        newcomers = [MatrixResident(server, f"neu{n}") for n in range(12)]
        people += newcomers
        await asyncio.gather(*(person.login() for person in newcomers))

        async def invite(person: MatrixResident) -> None:
            created = await person.client.room_create(is_direct=True, invite=[bot_user])
            assert isinstance(created, RoomCreateResponse)
            person.room = created.room_id

        await asyncio.gather(*(invite(person) for person in newcomers))
        answer = await anna.says("/help")
        assert de("How this works") in answer.body

        async def bot_is_in(person: MatrixResident) -> bool:
            members = await person.client.joined_members(person.room)
            return bot_user in [m.user_id for m in members.members]  # type: ignore[union-attr]

        joined = [await bot_is_in(person) for person in newcomers]
        assert not all(joined), "answered while joins were still held back"
        deadline = time.monotonic() + 300
        for person in newcomers:  # the greetings themselves wait for Synapse's message limit too
            while not await bot_is_in(person):
                assert time.monotonic() < deadline, "every invite is accepted in the end"
                await asyncio.sleep(1)
    finally:
        for person in people:
            await person.close()
        if bot is not None:
            await bot.stop()
        server.stop()


async def test_rate_limits_are_waited_out(engine: Engine, tmp_path: Path) -> None:
    """A homeserver that allows one message a second and bursts of two: every answer still arrives."""
    strict = Synapse(tmp_path / "strict", message_rate=1, message_burst=2)
    strict.start()
    try:
        bot_user = strict.register("langsambot", "bot-password")
        bot = await start_bot(engine, strict, bot_user, encryption=False)
        resident = MatrixResident(strict, "geduldig")
        await resident.login()
        try:
            await resident.invite(bot_user)
            for _ in range(5):
                await resident.send({"msgtype": "m.text", "body": "/help"})
            await resident.wait_for_notices(6, timeout=40)
            assert all(de("How this works") in n.body for n in resident.notices[1:])
        finally:
            await resident.close()
            await bot.stop()
    finally:
        strict.stop()


async def test_broadcast_reaches_matrix_subscribers_and_marks_who_removed_the_bot(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    from dialogs.messages import Identity
    from storage import moderation as moderation_db
    from storage.models import ALL_CITIES, Role
    from tests.helpers import resident, start_broadcasts, wait_until_finished

    news = "Der Bürgerservice in Heidenheim ist jetzt auch samstags geöffnet."
    idea_id = seed_idea(store, "Sensoren für freie Parkplätze")
    bot = await start_bot(engine, synapse, bot_user, rate=2.0)
    service = await start_broadcasts(engine, [bot.transport()])  # slow enough to be seen sending
    others = [MatrixResident(synapse, f"{name}{next(_names)}") for name in ("ben", "carl", "dora")]
    ben, carl, dora = others
    try:
        for person in (anna, ben, carl, dora):
            if person is not anna:
                await person.login()
            await person.invite(bot_user)
            await person.says("/start")
            await person.says("1")
            await person.says("Aalen")
        for person in (anna, carl):
            await subscribe_city_news(lambda label, p=person: p.says(p.number_of(label)))
        await carl.client.room_kick(carl.room, bot_user)
        store.run(lambda tx: moderation_db.grant(tx, "matrix", dora.user, Role.STAFF, ALL_CITIES, "test", store.now()))
        await dora.says("/broadcast")
        await dora.says(news)
        await dora.says(dora.number_of("Neuigkeiten aus Aalen (2)"))
        await dora.says(dora.number_of(de("Button to an idea")))
        await dora.says(str(idea_id))
        await dora.says(dora.number_of(de("To the idea")))
        await dora.says(dora.number_of("Jetzt an 2 Personen senden"))
        await wait_until_finished(store, 1)

        received = await anna.wait_for_notices(len(anna.notices) + 1)
        assert news in received.body and "1. Zur Idee" in received.body
        await anna.says("1")
        assert "Sensoren für freie Parkplätze" in anna.last, "the typed number opens the idea"
        await ben._sync()
        assert all(news not in n.body for n in ben.notices)
        blocked = resident(store, Identity("matrix", carl.user))
        assert blocked is not None and blocked.unreachable_since is not None

        deadline = time.monotonic() + 20
        while not any("1 von 2 zugestellt, 1 nicht erreichbar" in n.body for n in dora.notices):
            assert time.monotonic() < deadline, [n.body for n in dora.notices[-3:]]
            await dora._sync()
        progress = [n for n in dora.notices if "Nachricht Nr. 1:" in n.body]
        [first] = [n for n in progress if "m.relates_to" not in n.source["content"]]
        edits = [n.source["content"]["m.relates_to"] for n in progress if n is not first]
        assert all(e == {"rel_type": "m.replace", "event_id": first.event_id} for e in edits), (
            "one progress message; every later figure is an edit of it"
        )
        assert edits, "the figures changed while sending, so the message was edited"
    finally:
        await service.stop()
        for person in others:
            await person.close()
        await bot.stop()


async def test_an_answer_is_sent_once_after_the_bot_was_killed_before_sending_it(
    synapse: Synapse, bot_user: str, anna: MatrixResident, tmp_path: Path
) -> None:
    """SIGKILL between storing the event and sending its answer: after the restart it arrives, once."""
    import signal

    from tests.cli import start_run
    from tests.holding_proxy import HoldingProxy
    from tests.test_run import free_port

    proxy = HoldingProxy(synapse.url)
    await proxy.start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(free_port()),
        "MATRIX_HOMESERVER": proxy.url,
        "MATRIX_USER": bot_user,
        "MATRIX_PASSWORD": "bot-password",
        "MATRIX_STORE_PATH": str(tmp_path / "matrix-store"),
    }
    try:
        process, _line = await start_run(env)
        await anna.invite(bot_user)
        await anna.says("/start")
        proxy.hold_bodies_with = de(
            "Which city do you live in, or which one do you care about most?"
        )  # the answer to the next step never leaves the bot
        await anna.send({"msgtype": "m.text", "body": anna.number_of("Deutsch")})
        deadline = time.monotonic() + 20
        while not proxy.held:
            assert time.monotonic() < deadline, "the bot began to answer"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.communicate(), 30)

        proxy.hold_bodies_with = None
        process, _line = await start_run(env)
        try:
            await anna.wait_for_notices(3)
            await asyncio.sleep(2)  # a second copy would have arrived by now
            await anna.catch_up()
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.communicate(), 30)
    finally:
        await proxy.stop()
    answers = [n.body for n in anna.notices]
    assert len(answers) == 3, answers  # the greeting, the answer to /start, the kept answer
    assert de(CITY_QUESTION) in answers[2]


async def until(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def test_arbitrary_unicode_never_silences_matrix(
    engine: Engine, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    """Whatever is typed at a numbered menu (², a 5,000-digit number, any Unicode), the bot answers on."""
    from tests.helpers import arbitrary_texts

    bot = await start_bot(engine, synapse, bot_user)
    try:
        await anna.invite(bot_user)
        texts = arbitrary_texts(12)
        for start in range(0, len(texts), 5):  # at a person's pace: no notice to slow down
            for text in texts[start : start + 5]:
                await anna.client.room_send(anna.room, "m.room.message", {"msgtype": "m.text", "body": text})
            await asyncio.sleep(2.5)
        await anna.send({"msgtype": "m.text", "body": "/help"})
        deadline = time.monotonic() + 40
        while not any(de("How this works") in n.body for n in anna.notices):
            assert time.monotonic() < deadline, "the bot stopped answering"
            await anna._sync()
        assert bot.alive()
    finally:
        await bot.stop()


async def test_sixty_messages_while_down_are_all_answered_once_in_order(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    ideas = [seed_idea(store, f"Idee Nummer {n:02d} für Aalen") for n in range(60)]
    bot = await start_bot(engine, synapse, bot_user)
    await anna.invite(bot_user)
    await anna.says("/start")
    await anna.says("1")
    await anna.says("Aalen")
    await bot.stop()

    before = len(anna.notices)
    for idea_id in ideas:
        await anna.send({"msgtype": "m.text", "body": f"/start idea_{idea_id}"})
    restarted = await start_bot(engine, synapse, bot_user)
    try:
        await anna.wait_for_notices(before + 60, timeout=90)
        await asyncio.sleep(2)  # a repeated answer would have arrived by now
        await anna.catch_up()
        answers = [n.body for n in anna.notices[before:]]
        assert len(answers) == 60, "each message answered once"
        shown = [next(line for line in a.splitlines() if "Idee Nummer" in line) for a in answers]
        assert [s.split("Idee Nummer ")[1][:2] for s in shown] == [f"{n:02d}" for n in range(60)], "in order"
    finally:
        await restarted.stop()


async def test_after_a_restart_broadcasts_and_decisions_reach_matrix_residents(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str
) -> None:
    """nio knows no room before its first sync: sending must not depend on its room list."""
    from dialogs.messages import Identity, InboundKind
    from storage import moderation as moderation_db
    from storage import outbox
    from storage.models import ALL_CITIES, IdeaStatus, Role
    from storage.subscriptions import Audience
    from tests.chat import Chat
    from tests.helpers import resident, start_broadcasts, wait_until_finished

    people = [MatrixResident(synapse, f"nachbar{next(_names)}") for _ in range(20)]
    bot = await start_bot(engine, synapse, bot_user)

    async def onboard(person: MatrixResident) -> None:
        await person.login()
        await person.invite(bot_user)
        await person.says("1")
        await person.says("Aalen")
        await subscribe_city_news(lambda label: person.says(person.number_of(label)))

    try:
        await asyncio.gather(*(onboard(p) for p in people))
        author = people[0]
        record = resident(store, Identity("matrix", author.user))
        assert record is not None
        idea_id = store.run(
            lambda tx: tx.create_idea(
                title="Bänke am Kocherufer",
                description="Mehr Bänke zum Ausruhen entlang des Kochers in Aalen.",
                field_id="mobilitaet",
                city="aalen",
                author_id=record.id,
                now=store.now(),
                status=IdeaStatus.PENDING,
            )
        )
        await bot.stop()

        bot = await start_bot(engine, synapse, bot_user, rate=1000)
        service = await start_broadcasts(engine, [bot.transport()])
        news = "Die Stadtbibliothek Aalen hat jetzt sonntags geöffnet."
        counts = [len(p.notices) for p in people]
        broadcast_id = store.run(
            lambda tx: outbox.create_broadcast(
                tx,
                author=("matrix", author.user, author.room, "de"),
                text=news,
                audience=Audience(city="aalen"),
                idea_id=None,
                button=None,
                send_at=store.now(),
                now=store.now(),
            )
        )
        await wait_until_finished(store, broadcast_id, timeout=60)
        await service.stop()
        for person, count in zip(people, counts, strict=True):
            await person.wait_for_notices(count + 1)
            assert any(news in n.body for n in person.notices[count:]), person.user

        await bot.stop()
        bot = await start_bot(engine, synapse, bot_user)
        moderator = Chat(engine, "moderatorin")
        store.run(
            lambda tx: moderation_db.grant(tx, "test", "moderatorin", Role.MODERATOR, ALL_CITIES, "t", store.now())
        )
        before = len(author.notices)
        outbounds = await moderator.send(moderator.inbound(InboundKind.COMMAND, f"/approve {idea_id}"))
        await bot.receive.delivery.deliver(o for o in outbounds if o.recipient.platform == "matrix")
        told = await author.wait_for_notices(before + 1)
        assert "Bänke am Kocherufer" in told.body and de("published") in told.body, told.body
    finally:
        for person in people:
            await person.close()
        await bot.stop()


async def test_what_is_not_plain_text_and_what_comes_too_fast(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    """Other message types, edits, rich replies, Element's 👍️, the export as a file, a burst, leaving."""
    from dialogs.messages import Identity
    from tests.helpers import resident

    idea_id = seed_idea(store, "Trinkbrunnen am Marktplatz")
    bot = await start_bot(engine, synapse, bot_user)
    try:
        await anna.invite(bot_user)
        for content in (
            {"msgtype": "m.image", "body": "foto.jpg", "url": "mxc://localhost/abc"},
            {"msgtype": "m.file", "body": "plan.pdf", "url": "mxc://localhost/abc"},
            {"msgtype": "m.audio", "body": "gruss.ogg", "url": "mxc://localhost/abc"},
            {"msgtype": "m.emote", "body": "winkt"},
            {"msgtype": "m.location", "body": "Marktplatz", "geo_uri": "geo:48.83,10.09"},
        ):
            before = len(anna.notices)
            await anna.send(content)
            answer = await anna.wait_for_notices(before + 1)
            assert (
                de("I can only read text. Please type your answer, or choose one of the options below.") in answer.body
                and "1. Deutsch" in answer.body
            ), answer.body

        sent = await anna.send({"msgtype": "m.text", "body": "2"})
        await anna.wait_for_notices(len(anna.notices) + 1)
        assert "Please choose your city" in anna.last or "city" in anna.last, anna.last
        before = len(anna.notices)
        await anna.send(
            {
                "msgtype": "m.text",
                "body": "* 1",
                "m.new_content": {"msgtype": "m.text", "body": "1"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": sent},
            }
        )
        quoted = anna.notices[-1]
        await anna.send(
            {
                "msgtype": "m.text",
                "body": f"> <{bot_user}> {quoted.body.splitlines()[0]}\n\nAalen",
                "m.relates_to": {"m.in_reply_to": {"event_id": quoted.event_id}},
            }
        )
        await anna.wait_for_notices(before + 1)
        assert en("What would you like to do?") in anna.last, "the edit is ignored, the reply read without its quote"

        await anna.says(f"/start idea_{idea_id}")
        idea_message = anna.notices[-1].event_id
        before = len(anna.notices)
        await anna.send(
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": idea_message, "key": "👍\ufe0f"}}, "m.reaction"
        )
        await anna.wait_for_notices(before + 1)
        assert support_count(store, idea_id) == 1, "Element's 👍️ (with U+FE0F) supports the idea"

        await anna.says("/privacy")
        await anna.says(anna.number_of(en("Export my data")))
        deadline = time.monotonic() + 20
        while not anna.files:
            assert time.monotonic() < deadline, "no file"
            await anna._sync()
        export = anna.files[-1]
        assert export.source["content"]["info"]["mimetype"] == "application/json"
        download = await anna.client.download(export.url)
        data = json.loads(download.body)  # type: ignore[union-attr]
        assert data["resident"][0]["user_id"] == anna.user
        assert not {"menu", "last_press"} & set(data["conversation"][0]["context"])
        assert all(not n.body.lstrip().startswith("{") for n in anna.notices), "no raw JSON as a notice"

        before = len(anna.notices)
        for _ in range(50):
            await anna.send({"msgtype": "m.text", "body": "/help"})
        await anna.wait_for_notices(before + 2, timeout=40)
        await asyncio.sleep(2)
        await anna.catch_up()
        slow = [
            n
            for n in anna.notices[before:]
            if en("You are sending messages very quickly. Please wait a moment and try again.") in n.body
        ]
        assert len(slow) == 1, "one notice to slow down for the whole burst"

        await anna.client.room_leave(anna.room)
        await until(
            lambda: (r := resident(store, Identity("matrix", anna.user))) is not None and r.unreachable_since,
            "the resident who left is marked unreachable",
        )
        joined = await bot.client.joined_rooms()
        assert anna.room not in joined.rooms  # type: ignore[union-attr]
    finally:
        await bot.stop()


async def test_group_rooms_get_no_dialogue_and_no_private_replies(
    engine: Engine, store: Store, synapse: Synapse, bot_user: str, anna: MatrixResident
) -> None:
    """Only rooms of two hold the dialogue; a moderator's alert avoids a room that has grown."""
    from storage import moderation as moderation_db
    from storage.models import ALL_CITIES, Role
    from tests.chat import Chat

    ben = MatrixResident(synapse, f"ben{next(_names)}")
    bot = await start_bot(engine, synapse, bot_user)
    try:
        await ben.login()
        created = await ben.client.room_create(invite=[bot_user, anna.user])
        assert isinstance(created, RoomCreateResponse)
        group = created.room_id
        await anna.client.join(group)
        await until(lambda: group in bot.client.rooms, "the bot joins the group room", 20)
        await ben.client.room_send(group, "m.room.message", {"msgtype": "m.text", "body": "/start"})
        ben.room = group
        pointer = await ben.wait_for_notices(1)
        assert "Direktchat" in pointer.body and bot_user in pointer.body
        await ben.client.room_send(group, "m.room.message", {"msgtype": "m.text", "body": "1"})
        await asyncio.sleep(1.5)
        await ben.catch_up()
        assert all("Direktchat" in n.body for n in ben.notices), "no dialogue in a group room"

        await anna.invite(bot_user)
        await anna.says("1")
        await anna.says("Aalen")
        now = store.now()
        store.run(lambda tx: moderation_db.grant(tx, "matrix", anna.user, Role.MODERATOR, ALL_CITIES, "t", now))
        await anna.client.room_invite(anna.room, ben.user)
        await ben.client.join(anna.room)
        await until(lambda: bot.client.rooms[anna.room].member_count == 3, "the room has grown", 20)
        before = len(anna.notices)
        author = Chat(engine, "autorin")
        await author.onboard()
        await author.presses(de("Submit an idea"))
        await author.presses(de("I agree, let's start"))
        await author.says("Schattenbäume am Spielplatz")
        await author.says("Mehr Schatten für Kinder auf dem Spielplatz im Sommer.")
        await author.presses(field("mobilitaet"))
        await author.presses(city("aalen"))
        outbounds = await author.send(author.inbound(InboundKind.BUTTON, author.button(de("✅ Submit"))))
        alerts = [o for o in outbounds if o.recipient.platform == "matrix"]
        assert alerts, "the moderator is alerted"
        await bot.receive.delivery.deliver(alerts)
        deadline = time.monotonic() + 20
        while not anna.invited_to:
            assert time.monotonic() < deadline, "no direct room for the alert"
            await anna._sync()
        await anna.catch_up()
        assert len(anna.notices) == before, "nothing for the moderator in a room of three"
    finally:
        await ben.close()
        await bot.stop()
