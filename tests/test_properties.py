"""Random event sequences from several residents never break the engine's invariants."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity, Inbound, InboundKind
from dialogs.table import GLOBAL_COMMANDS, STATES
from storage.models import IdeaStatus, conversation_table, vote_table
from storage.store import Store
from tests.helpers import approve, seed_idea

RESIDENTS = ["anna", "ben", "cem"]
VOTES_CAST: list[int] = []
TEXTS = st.one_of(
    st.sampled_from(["Hallo", "", "1", "Deutsch", "Zurück", "<b>x</b>", "Mehr Bäume pflanzen", "🎉", "/start idea_1"]),
    st.text(max_size=300),
)


@pytest.fixture
def machine_class(content: Content, languages: Languages, migrated_sqlite_template: Path) -> type:
    class EngineMachine(RuleBasedStateMachine):
        """Residents press buttons they saw, replay old ones, type and command at random."""

        def __init__(self) -> None:
            super().__init__()
            self.dir = tempfile.mkdtemp()
            path = Path(self.dir) / "bot.sqlite3"
            shutil.copy(migrated_sqlite_template, path)
            self.store = Store(f"sqlite:///{path}")
            self.engine = Engine(content, languages, self.store)
            self.loop = asyncio.new_event_loop()
            self.seen: dict[str, list[str]] = {name: [] for name in RESIDENTS}
            self.last_labels: dict[str, dict[str, str]] = {name: {} for name in RESIDENTS}
            self.events = 0
            self.pressed: dict[str, str | None] = {}
            self.gone: set[str] = set(RESIDENTS)
            """Residents the bot does not know (yet, or since they deleted their data) until they write."""
            """The button each resident pressed last, if that press was their last event."""

        @initialize()
        def seed(self) -> None:
            for title in ("Echtzeit-Fahrplan", "Mehr Radwege"):
                seed_idea(self.store, title)
            seed_idea(self.store, "Noch ungeprüft", status=IdeaStatus.PENDING)

        def send(self, name: str, kind: InboundKind, text: str) -> None:
            self.events += 1
            inbound = Inbound(Identity("prop", name), name, f"ev{self.events}", kind, text)
            outbounds = self.loop.run_until_complete(self.engine.handle(inbound))
            if kind is InboundKind.BUTTON and (text == self.pressed.get(name) or name in self.gone):
                assert outbounds == [], "a button pressed again at once, or by someone unknown, is answered quietly"
                return
            self.gone.discard(name)
            said = outbounds[0].reply.plain_text if outbounds else ""
            accepted = bool(outbounds) and not ("nicht mehr aktuell" in said or "out of date" in said)
            self.pressed[name] = text if kind is InboundKind.BUTTON and accepted else None
            assert outbounds, "every new event gets an answer"
            reply = outbounds[0].reply
            assert reply.blocks, "no answer is empty"
            assert "etwas schiefgegangen" not in reply.plain_text and "went wrong" not in reply.plain_text
            self.seen[name].extend(b.payload for b in reply.all_buttons())
            self.last_labels[name] = {b.label: b.payload for b in reply.all_buttons()}
            if "Danke! Sie unterstützen jetzt diese Idee." in reply.plain_text:
                VOTES_CAST.append(1)
            if "Ihre Daten wurden gelöscht" in said or "Your data has been deleted" in said:
                self.gone.add(name)

        @rule(name=st.sampled_from(RESIDENTS), idea=st.sampled_from(["", "Echtzeit", "Mehr Radwege"]))
        def browse_and_support(self, name: str, idea: str) -> None:
            """Typing button labels presses them: the way a resident would browse to an idea and support it."""
            for label in ("/menu", "Deutsch", "Aalen", "Ideen nach Thema", "1. Mobilität", "Ideen anzeigen"):
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

        @rule(name=st.sampled_from(RESIDENTS), command=st.sampled_from([*GLOBAL_COMMANDS, "nonsense"]))
        def send_command(self, name: str, command: str) -> None:
            self.send(name, InboundKind.COMMAND, f"/{command}")

        @rule(name=st.sampled_from(RESIDENTS), payload=st.text(max_size=70))
        def forge_a_payload(self, name: str, payload: str) -> None:
            self.send(name, InboundKind.BUTTON, payload)

        @rule(idea=st.integers(min_value=1, max_value=8))
        def moderator_approves(self, idea: int) -> None:
            if self.store.run(lambda tx: tx.get_idea(idea)) is not None:
                approve(self.store, idea)

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
                assert tx.support_mismatches() == []

        def teardown(self) -> None:
            self.engine.close()
            self.store.dispose()
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    return EngineMachine


def test_random_event_sequences_keep_the_invariants(machine_class: type) -> None:
    from hypothesis.stateful import run_state_machine_as_test

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
