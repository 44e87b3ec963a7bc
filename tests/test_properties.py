"""Random event sequences from several residents never break the engine's invariants."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from dialogs.commands import for_everyone
from dialogs.content import Content
from dialogs.engine import DOUBLE_TAP_SECONDS, Engine
from dialogs.flows import STATES
from dialogs.i18n import Languages
from dialogs.messages import Identity, Inbound, InboundKind, Outbound
from storage.models import IdeaStatus, conversation_table, idea_table, vote_table
from storage.store import Store
from tests.conftest import empty_postgres
from tests.helpers import approve, assert_supports_consistent, resident, seed_idea
from tests.texts import DATA_DELETED, MENU_OUT_OF_DATE, NOT_ALLOWED, de, says

RESIDENTS = ["anna", "ben", "cem"]
COMMANDS = [*(command.name for command in for_everyone()), "broadcast", "nonsense"]
VOTERS = [f"voter{n}" for n in range(6)]
"""Residents who press 👍 or withdraw at the same moment, sometimes while the moderator acts."""
ADMIN = Identity("prop", "admin")
MODERATOR = "moritz"
IDEAS = st.integers(min_value=1, max_value=4)
MODERATION = st.one_of(
    st.tuples(st.sampled_from(["approve", "hide"]), IDEAS).map(lambda c: f"/{c[0]} {c[1]}"),
    IDEAS.map(lambda idea: f"/reject {idea} Gibt es schon"),
    st.tuples(IDEAS, IDEAS).map(lambda pair: f"/merge {pair[0]} {pair[1]}"),
)
VOTES_CAST: list[int] = []
MODERATIONS_DONE: list[str] = []
STATUSES = ("approved", "rejected", "hidden")
MERGED = "Idea no. {number} is now part of idea no. {target}, which has {count} supporters."
DECIDED = [de("Idea no. {number} has been {status}.", number="#", status=de(s)).split("#")[1] for s in STATUSES]
"""The end of what a moderator reads after a decision, the same for every idea number."""
MERGED_PART = de(MERGED, number="#", target="#", count=0).split("#")[1]
"""What a moderator reads after a merge, between the two idea numbers."""
THANKS = "Thank you! You now support this idea."
TEXTS = st.one_of(
    st.sampled_from(["Hallo", "", "1", "Deutsch", "Zurück", "<b>x</b>", "Mehr Bäume pflanzen", "🎉", "/start idea_1"]),
    st.text(max_size=300),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, migrated_sqlite_template: Path) -> Callable[[Path], str]:
    """For each example an empty database, on SQLite and (where reachable) on PostgreSQL."""
    if request.param == "postgresql":
        schema_url = str(request.getfixturevalue("postgres_schema_url"))
        return lambda _directory: empty_postgres(schema_url)

    def copy_template(directory: Path) -> str:
        path = directory / "bot.sqlite3"
        shutil.copy(migrated_sqlite_template, path)
        return f"sqlite:///{path}"

    return copy_template


@pytest.fixture
def machine_class(content: Content, languages: Languages, fresh_database: Callable[[Path], str]) -> type:
    class EngineMachine(RuleBasedStateMachine):
        """Residents press buttons they saw, replay old ones, type and command at random."""

        def __init__(self) -> None:
            super().__init__()
            self.dir = tempfile.mkdtemp()
            self.store = Store(fresh_database(Path(self.dir)))
            self.engine = Engine(content, languages, self.store, admins=[ADMIN])
            self.loop = asyncio.new_event_loop()
            everyone = [*RESIDENTS, *VOTERS, "admin", MODERATOR]
            self.seen: dict[str, list[str]] = {name: [] for name in everyone}
            self.last_labels: dict[str, dict[str, str]] = {name: {} for name in everyone}
            self.events = 0
            self.last_reply_text = ""
            self.pressed: dict[str, tuple[str, float]] = {}
            """The button each resident pressed last, and when, if that press was their last event."""
            self.gone: set[str] = set(everyone)
            """Residents the bot does not know (yet, or since they deleted their data) until they write."""

        @initialize()
        def seed(self) -> None:
            for title in ("Echtzeit-Fahrplan", "Mehr Radwege"):
                seed_idea(self.store, title)
            seed_idea(self.store, "Noch ungeprüft", status=IdeaStatus.PENDING)
            seed_idea(self.store, "Bänke am Kocher")
            for name in ("admin", MODERATOR, *VOTERS):
                for label in ("/start", "Deutsch", "Aalen"):
                    self.send(name, InboundKind.COMMAND if label.startswith("/") else InboundKind.TEXT, label)
            self.send("admin", InboundKind.COMMAND, f"/grant prop:{MODERATOR} moderator all")

        def inbound(self, name: str, kind: InboundKind, text: str) -> Inbound:
            self.events += 1
            return Inbound(Identity("prop", name), name, f"ev{self.events}", kind, text)

        def send(self, name: str, kind: InboundKind, text: str) -> None:
            outbounds = self.loop.run_until_complete(self.engine.handle(self.inbound(name, kind, text)))
            self.check(name, kind, text, outbounds)

        def check(self, name: str, kind: InboundKind, text: str, outbounds: list[Outbound]) -> None:
            if kind is InboundKind.BUTTON and self.quiet_expected(name, text, outbounds):
                return
            self.gone.discard(name)
            said = outbounds[0].reply.plain_text if outbounds else ""
            stale = says(said, MENU_OUT_OF_DATE)
            if kind is InboundKind.BUTTON and outbounds and not stale and not text.startswith("l."):
                self.pressed[name] = (text, time.monotonic())
            else:
                self.pressed.pop(name, None)
            assert outbounds, "every new event gets an answer"
            reply = outbounds[0].reply
            self.last_reply_text = reply.plain_text
            assert reply.blocks, "no answer is empty"
            assert not says(reply.plain_text, "Sorry, something went wrong on our side. Please try again in a moment.")
            self.seen[name].extend(b.payload for b in reply.all_buttons())
            self.last_labels[name] = {b.label: b.payload for b in reply.all_buttons()}
            if says(reply.plain_text, THANKS):
                VOTES_CAST.append(1)
            if says(said, DATA_DELETED):
                self.gone.add(name)

        def quiet_expected(self, name: str, text: str, outbounds: list[Outbound]) -> bool:
            """A button of someone unknown, or the same button again within seconds: no answer.

            The engine counts ten seconds; a slow example may take longer, so near that edge
            either answer is right."""
            if name in self.gone:
                assert outbounds == [], "a button of someone the bot does not know is answered quietly"
                return True
            last, at = self.pressed.get(name, ("", 0.0))
            if text != last:
                return False
            elapsed = time.monotonic() - at
            if elapsed < DOUBLE_TAP_SECONDS - 1:
                assert outbounds == [], "a button pressed again at once is answered quietly"
                return True
            return elapsed <= DOUBLE_TAP_SECONDS + 1 and outbounds == []

        @rule(name=st.sampled_from(RESIDENTS), idea=st.sampled_from(["", "Echtzeit", "Mehr Radwege"]))
        def browse_and_support(self, name: str, idea: str) -> None:
            """Typing button labels presses them: the way a resident would browse to an idea and support it."""
            for label in ("/menu", "Deutsch", "Aalen", "Ideen nach Thema", "Mobilität", "Ideen anzeigen"):
                self.send(name, InboundKind.COMMAND if label.startswith("/") else InboundKind.TEXT, label)
            if idea:
                self.press_by_label(name, idea)
                self.press_by_label(name, "👍")

        @rule(
            name=st.sampled_from(RESIDENTS),
            word=st.sampled_from(["👍", "Unterstützung zurückziehen", "Echtzeit", "Mehr Radwege", "Zurück"]),
        )
        def press_by_label(self, name: str, word: str) -> None:
            for label, payload in self.last_labels[name].items():
                if label.startswith(word):
                    self.send(name, InboundKind.BUTTON, payload)
                    return

        @rule(name=st.sampled_from(RESIDENTS), pick=st.integers(min_value=0, max_value=10_000), fresh=st.booleans())
        def press_a_button(self, name: str, pick: int, fresh: bool) -> None:
            payloads = self.seen[name]
            if not payloads:
                self.send(name, InboundKind.TEXT, "Hallo")
                return
            recent = payloads[-6:] if fresh else payloads
            self.send(name, InboundKind.BUTTON, recent[pick % len(recent)])

        @rule(name=st.sampled_from(RESIDENTS), text=TEXTS)
        def type_text(self, name: str, text: str) -> None:
            self.send(name, InboundKind.TEXT, text)

        @rule(name=st.sampled_from(RESIDENTS), command=st.sampled_from(COMMANDS))
        def send_command(self, name: str, command: str) -> None:
            self.send(name, InboundKind.COMMAND, f"/{command}")

        @rule(name=st.sampled_from(RESIDENTS), payload=st.text(max_size=70))
        def forge_a_payload(self, name: str, payload: str) -> None:
            self.send(name, InboundKind.BUTTON, payload)

        @rule(idea=st.integers(min_value=1, max_value=8))
        def moderator_approves(self, idea: int) -> None:
            if self.store.run(lambda tx: tx.get_idea(idea)) is not None:
                approve(self.store, idea)

        @rule(command=MODERATION)
        def moderator_decides(self, command: str) -> None:
            """/approve, /reject, /hide or /merge, sent by a resident the admin made a moderator."""
            self.send(MODERATOR, InboundKind.COMMAND, command)
            self.note_moderation(self.last_reply_text)

        @rule(
            idea=IDEAS,
            voters=st.lists(st.sampled_from(VOTERS), min_size=3, max_size=len(VOTERS), unique=True),
            action=st.sampled_from([None, "merge", "merge", "hide", "reject", "approve"]),
            other=IDEAS,
        )
        def voters_at_once(self, idea: int, voters: list[str], action: str | None, other: int) -> None:
            """Several residents open one idea, then press 👍 (or withdraw) at the same moment.

            Sometimes the moderator acts on that idea in the same moment (merging it into
            `other`). Whoever is thanked supports the idea afterwards, or the one it went into.
            """
            command = None
            if action == "merge":
                command = f"/merge {idea} {other}"
            elif action is not None:
                command = f"/{action} {idea}" + (" Gibt es schon" if action == "reject" else "")
            pressing = []
            for name in voters:
                self.send(name, InboundKind.COMMAND, f"/start idea_{idea}")
                payload = next(
                    (p for label, p in self.last_labels[name].items() if label.startswith(("👍", "Unterstützung"))),
                    None,
                )
                if payload is not None:
                    pressing.append((name, self.inbound(name, InboundKind.BUTTON, payload)))
            if command is not None:
                pressing.append((MODERATOR, self.inbound(MODERATOR, InboundKind.COMMAND, command)))
            if len(pressing) < 2:
                return
            barrier = threading.Barrier(len(pressing))

            def handle(inbound: Inbound) -> list[Outbound]:
                barrier.wait()
                return self.engine.handle_blocking(inbound)

            with ThreadPoolExecutor(len(pressing)) as pool:
                results = list(pool.map(handle, [inbound for _name, inbound in pressing]))
            thanked = []
            for (name, inbound), outbounds in zip(pressing, results, strict=True):
                self.check(name, inbound.kind, inbound.text, outbounds)
                if name == MODERATOR:
                    self.note_moderation(self.last_reply_text)
                elif says(self.last_reply_text, THANKS):
                    thanked.append(name)
            for name in thanked:
                record = resident(self.store, Identity("prop", name))
                assert record is not None
                final = self.final_idea(idea)
                assert self.store.run(lambda tx, rid=record.id, at=final: tx.has_vote(rid, at)), (name, idea, final)

        def note_moderation(self, text: str) -> None:
            assert de(NOT_ALLOWED) not in text, "the moderator holds the role"
            if any(done in text for done in DECIDED):
                MODERATIONS_DONE.append("decide")
            if MERGED_PART in text:
                MODERATIONS_DONE.append("merge")

        def final_idea(self, idea: int) -> int:
            """Where an idea's supports are now: the end of its chain of merges."""
            while True:  # a merge needs a published target, so the chain has no loop
                query = select(idea_table.c.status, idea_table.c.merged_into).where(idea_table.c.id == idea)
                rows = self.store.run(lambda tx, q=query: tx.rows(q))
                if not rows or rows[0][0] != IdeaStatus.MERGED:
                    return idea
                idea = rows[0][1]

        @invariant()
        def states_are_valid(self) -> None:
            with self.store.transaction() as tx:
                states = {row[0] for row in tx.rows(select(conversation_table.c.state))}
            assert states <= set(STATES)

        @invariant()
        def one_vote_per_resident_and_idea_and_tallies_match(self) -> None:
            with self.store.transaction() as tx:
                duplicates = tx.rows(
                    select(vote_table.c.resident_id, vote_table.c.idea_id)
                    .group_by(vote_table.c.resident_id, vote_table.c.idea_id)
                    .having(func.count() > 1)
                )
                assert duplicates == []
            assert_supports_consistent(self.store)

        def teardown(self) -> None:
            self.engine.close()
            self.store.dispose()
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    return EngineMachine


def test_random_event_sequences_keep_the_invariants(machine_class: type) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    VOTES_CAST.clear()
    MODERATIONS_DONE.clear()

    run_state_machine_as_test(
        machine_class,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    assert VOTES_CAST, "the random sequences reached and used the support button"
    assert {"decide", "merge"} <= set(MODERATIONS_DONE), "the moderator decided and merged"
