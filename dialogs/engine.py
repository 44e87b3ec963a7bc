"""The dialogue engine: one entry for every platform.

Per event: claim the event id, load the resident's conversation, fire one trigger on
the shared state machine, render the screen of the state reached, save — all in one
transaction — and return the replies. The machine is built once; each event gets a
light `Turn` as its model.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any, cast

from transitions import EventData, Machine

from dialogs import commands, payloads
from dialogs.choice import option_index
from dialogs.content import Content
from dialogs.conversation import Conversation, LastPress
from dialogs.flows import ACTIONS, SCREENS, STATES, TRANSITIONS, broadcast, moderation, polls, privacy, staff
from dialogs.i18n import Languages
from dialogs.inputs import DESCRIPTION_MAX, TITLE_MAX
from dialogs.invitations import Invitations
from dialogs.messages import (
    Block,
    Button,
    Identity,
    Inbound,
    InboundKind,
    Outbound,
    Reaction,
    Receipt,
    Reply,
    Span,
    reply_to_data,
)
from dialogs.payloads import Action, LinkChoice, MenuChoice, PollChoice, ReactionChoice, TokenChoice
from dialogs.screen import Screen
from dialogs.similar import SimilarIdeas
from dialogs.turn import Turn
from storage import replies as replies_db
from storage.stats import Overview
from storage.store import Store, Tx

log = logging.getLogger(__name__)
TEXT_LIMITS = {
    "submit_title": TITLE_MAX,
    "submit_description": DESCRIPTION_MAX,
    "broadcast_text": broadcast.TEXT_MAX,
}
"""The longest text the state accepts, so that a page can count along while the resident types."""


class EngineUnavailable(RuntimeError):
    """An event could not be processed and nothing of it was stored; it may be retried."""


CALLBACK_KEYS = ("conditions", "unless", "prepare", "before", "after")
DOUBLE_TAP_SECONDS = 10.0
"""A button pressed again within this time of the press that made the menu on screen changes nothing."""
MAX_COMMAND_ARG = 64
KEPT_CANCELS = 8
"""How many earlier menus' "Cancel" buttons keep working (a prompt per step of a submission)."""


def _adapt(func: Callable[[Turn, str | None], Any]) -> Callable[[EventData], Any]:
    """Let table functions take (turn, arg) instead of transitions' EventData."""

    def call(event: EventData) -> Any:
        return func(cast(Turn, event.model), event.kwargs.get("arg"))

    call.__name__ = getattr(func, "__name__", "callback")
    return call


def build_machine() -> Machine:
    rows = []
    for row in TRANSITIONS:
        adapted = dict(row)
        for key in CALLBACK_KEYS:
            if key in adapted:
                adapted[key] = [_adapt(f) for f in adapted[key]]
        rows.append(adapted)
    return Machine(
        model=None,
        states=STATES,
        transitions=rows,
        initial="new",
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )


class Engine:
    """Platform-neutral: adapters call `handle` and send what it returns."""

    def __init__(
        self,
        content: Content,
        languages: Languages,
        store: Store,
        *,
        workers: int | None = None,
        admins: Iterable[Identity] = (),
        submission_limit: int = 5,
        web_base_url: str = "http://127.0.0.1:8080",
        action_token_days: int = 14,
        worker: str | None = None,
        observe: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self.content = content
        self.observe = observe
        """Told of every event: platform, outcome (replied, silent, error) and seconds taken (bot/metrics.py)."""
        self.action_token_days = action_token_days
        self.worker = worker or secrets.token_hex(8)
        """This process, as the sender of the replies it stores (see storage/replies.py)."""
        self.web_base_url = web_base_url.rstrip("/")
        self.admins = frozenset(admins)
        self.submission_limit = submission_limit
        self.languages = languages
        self.store = store
        self.similar = SimilarIdeas()
        """Ideas like a draft, for residents who submit and moderators who decide (one index per process)."""
        self.invitations = Invitations()
        """Each platform's invite links, as its adapter offers them when it starts (dialogs/invitations.py)."""
        self.machine = build_machine()
        self._triggers = {state: set(self.machine.get_triggers(state)) for state in STATES}
        # An embedded SQLite event takes a fraction of a millisecond and SQLite admits one
        # writer at a time, so a thread hop would cost more than it frees: run it inline.
        # A database server answers over the network: run those events in worker threads.
        # /stats counts every vote: it runs in a worker thread too, never on the event loop.
        self._inline = workers is None and store.dialect == "sqlite"
        self._executor = ThreadPoolExecutor(max_workers=workers or 4, thread_name_prefix="dialogue")

    async def handle(self, inbound: Inbound, *, strict: bool = False) -> list[Outbound]:
        """Handle one event; returns the replies. An event id seen before returns none.

        If the event cannot be stored, the resident gets an apology; with `strict`, an outage
        of the store is raised instead (as `EngineUnavailable`), for platforms that redeliver.
        An error that would come back with every redelivery (a bug) is always an apology, so
        the platform moves on to the next event.
        """
        if self._inline and not staff.asks_for_figures(inbound):
            return self.handle_blocking(inbound, strict=strict)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(self.handle_blocking, inbound, strict=strict))

    def handle_blocking(self, inbound: Inbound, *, strict: bool = False) -> list[Outbound]:
        started = time.perf_counter()
        outcome = "error"
        try:
            figures = None
            if staff.asks_for_figures(inbound):  # counted before, so the event's lock is short
                figures = staff.read_figures(self.store, self.admins, inbound.identity, self.store.now())
            replies = self.store.run(lambda tx: self._handle_in(tx, inbound, figures))
            outcome = "replied" if replies else "silent"
            return replies
        except Exception as err:
            log.exception("event %s from %s failed", inbound.event_id, inbound.identity.platform)
            if strict and self.store.unavailable(err):
                raise EngineUnavailable(str(err)) from err
            return [self._apology(inbound)]
        finally:
            if self.observe is not None:
                self.observe(inbound.identity.platform, outcome, time.perf_counter() - started)

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    # -- one event ------------------------------------------------------------------------

    def _handle_in(self, tx: Tx, inbound: Inbound, figures: Overview | None = None) -> list[Outbound]:
        now = self.store.now()
        identity = inbound.identity
        if not tx.claim_event(identity.platform, inbound.event_id, now):
            return []
        resident = tx.load_known_resident(identity.platform, identity.user_id, inbound.chat_id)
        if resident is None:
            if inbound.kind is InboundKind.BUTTON:
                # a button of someone the bot does not know (pressed again right after deleting
                # their data): it belongs to no menu, and must not bring a deleted record back
                return []
            resident = tx.load_or_create_resident(identity.platform, identity.user_id, inbound.chat_id, "new", now)
        turn = Turn(
            resident,
            tx,
            self.content,
            self.languages,
            inbound,
            now,
            Conversation.from_data(resident.context),
            admins=self.admins,
            submission_limit=self.submission_limit,
            web_base_url=self.web_base_url,
            action_token_days=self.action_token_days,
            figures=figures,
            similar=self.similar,
            invitations=self.invitations,
        )
        self._dispatch(turn)
        if turn.quiet:
            return []
        if turn.deleted:  # erased (dialogs/flows/privacy.py)
            reply = self._reply(turn, privacy.farewell(turn), assign_tokens=False)
            # not kept: after the erasure nothing in the store names this person, not even for a resend
            return [Outbound(identity, inbound.chat_id, reply)]
        if turn.submitted_idea is not None:
            moderation.notify_moderators(turn, turn.submitted_idea)
        if turn.changed_idea is not None:
            moderation.notify_moderators(turn, turn.changed_idea, changed=True)
        if turn.state == "new":  # its screen asks for the language: the buttons on it must work
            turn.state = "language"
        reply = self._reply(turn, turn.screen_override or SCREENS[turn.state](turn))
        resident.context = turn.conversation.to_data()
        tx.save_resident(resident, now)
        return self._keep(tx, [Outbound(identity, inbound.chat_id, reply), *turn.others], now)

    def _keep(self, tx: Tx, outbounds: list[Outbound], now: datetime) -> list[Outbound]:
        """Every reply is stored with the event, so that a crash before sending loses none."""
        kept = []
        for outbound in outbounds:
            recipient = outbound.recipient
            data = reply_to_data(outbound.reply)
            reply_id, token = replies_db.keep(
                tx, recipient.platform, recipient.user_id, outbound.chat_id, data, self.worker, now
            )
            kept.append(replace(outbound, receipt=Receipt(reply_id, token)))
        return kept

    def _dispatch(self, turn: Turn) -> None:
        inbound = turn.inbound
        _ = turn.lang.gettext
        last_press, turn.conversation.last_press = turn.conversation.last_press, None
        if inbound.kind is InboundKind.RESUME:
            if turn.state == "new":
                self._fire(turn, "start", None)
            return
        if inbound.kind in (InboundKind.BUTTON, InboundKind.REACTION):
            self._press(turn, last_press)
            return
        text = inbound.text.strip()
        if inbound.kind is InboundKind.COMMAND or text.startswith("/"):
            self._command(turn, text)
            return
        if turn.state == "new":
            self._fire(turn, "start", None)
            return
        if "text" in self._triggers[turn.state]:
            self._fire(turn, "text", None)
            return
        action = self._action_by_label(turn, text) or self._action_by_number(turn, text)
        if (action is None or not self._run(turn, action)) and not self._fire(turn, "free_text", None):
            turn.note(_("Sorry, I did not understand that. Please choose one of the options below, or send /help."))

    def _press(self, turn: Turn, last: LastPress | None) -> None:
        """A button or a reaction: its payload decoded, checked, and what it stands for done once."""
        inbound = turn.inbound
        if (
            inbound.kind is InboundKind.BUTTON
            and last is not None
            and last.payload == inbound.text
            and 0 <= turn.now.timestamp() - last.at <= DOUBLE_TAP_SECONDS
        ):
            turn.quiet = True  # the answer to the first press stays on screen
            return
        payload = payloads.decode(inbound.text, inbound.kind, inbound.identity.platform)
        if payload is None or not self._pressed(turn, payload):
            _ = turn.lang.gettext
            turn.note(_("This menu is out of date. Here is the current one."))
            return
        if isinstance(payload, MenuChoice | TokenChoice):  # a broadcast's link may be opened again and again
            turn.conversation.last_press = LastPress(inbound.text, turn.now.timestamp())

    def _pressed(self, turn: Turn, payload: payloads.Payload) -> bool:
        """Whether the payload still means something here, and if so, that it was done."""
        match payload:
            case ReactionChoice(vote, idea):
                return self._fire(turn, f"react_{vote}", str(idea))
            case LinkChoice(link):  # the same as the deep link /start idea_42
                return self._fire(turn, "start", link)
            case PollChoice(poll, option, mode):  # an option on a poll's message (dialogs/flows/polls.py)
                return self._fire(turn, "answer", f"{poll}:{option}:{mode}")
            case TokenChoice():
                found = moderation.action_of_token(turn, payload)
                return found is not None and self._run(turn, found)
            case MenuChoice(generation, index):
                menu = turn.conversation.menu
                if generation != menu.generation and [generation, index] in menu.cancels:
                    return self._fire(turn, "cancel", None)  # an old prompt's "Cancel"
                if generation != menu.generation or index >= len(menu.actions):
                    return False
                return self._run(turn, Action.parse(menu.actions[index]))

    def _command(self, turn: Turn, text: str) -> None:
        head, _sep, rest = text.lstrip("/").partition(" ")
        name = head.split("@", 1)[0].lower()
        arg = rest.strip()[:MAX_COMMAND_ARG] or None
        command = commands.find(name)
        if command is None:
            _ = turn.lang.gettext
            turn.note(_("I do not know this command. Send /help to see what I can do."))
        elif command.run is not None:
            command.run(turn, arg)
        else:
            self._fire(turn, command.name, arg)

    def _fire(self, turn: Turn, trigger: str, arg: str | None) -> bool:
        if trigger not in self._triggers[turn.state]:
            return False
        return bool(self.machine.events[trigger].trigger(turn, arg=arg))

    def _run(self, turn: Turn, action: Action) -> bool:
        """A button's action: a privileged one (``mod:…``, ``bc:…``) runs its handler, any other fires its trigger."""
        handler = ACTIONS.get(action.trigger)
        if handler is not None:
            handler(turn, action.arg)
            return True
        return self._fire(turn, action.trigger, action.arg)

    @staticmethod
    def _action_by_label(turn: Turn, text: str) -> Action | None:
        wanted = text.casefold()
        menu = turn.conversation.menu
        for label, action in zip(menu.labels, menu.actions, strict=False):
            if label.casefold() == wanted:
                return Action.parse(action)
        return None

    @staticmethod
    def _action_by_number(turn: Turn, text: str) -> Action | None:
        """Typing 2 chooses the second option, on platforms that show options as a numbered list."""
        actions = turn.conversation.menu.actions
        index = option_index(text, len(actions))
        return None if index is None else Action.parse(actions[index])

    # -- replies ------------------------------------------------------------------------------

    def _reply(self, turn: Turn, screen: Screen, *, assign_tokens: bool = True) -> Reply:
        rows: list[tuple[Button, ...]] = []
        if assign_tokens:
            menu = turn.conversation.menu
            menu.generation = (menu.generation + 1) % payloads.MAX_GENERATION
            menu.actions, menu.labels = [], []
            for row in screen.rows:
                buttons = []
                for label, action in row:
                    if action == "cancel":
                        menu.cancels = [*menu.cancels[-(KEPT_CANCELS - 1) :], [menu.generation, len(menu.actions)]]
                    payload = payloads.encode(MenuChoice(menu.generation, len(menu.actions)))
                    buttons.append(Button(label, payload))
                    menu.actions.append(action)
                    menu.labels.append(label)
                rows.append(tuple(buttons))
        expects_text = assign_tokens and turn.screen_override is None and "text" in self._triggers[turn.state]
        return Reply(
            blocks=(*turn.notes, *screen.blocks),
            buttons=tuple(rows),
            # a broadcast's button answers in a new message: the news itself stays readable
            replaces_menu=turn.inbound.kind is InboundKind.BUTTON and not payloads.is_link(turn.inbound.text),
            attachment=turn.attachment,
            language=turn.lang.code,
            expects_text=expects_text,
            text_limit=TEXT_LIMITS.get(turn.state) if expects_text else None,
            reactions=self._reactions(turn),
        )

    @staticmethod
    def _reactions(turn: Turn) -> tuple[Reaction, ...]:
        if turn.state == "poll" and turn.screen_override is None:
            return polls.screen_reactions(turn)
        idea = turn.conversation.idea
        if turn.state != "idea" or turn.screen_override is not None or idea is None:
            return ()
        return (Reaction("👍", *payloads.support_reaction(idea)),)

    def _apology(self, inbound: Inbound) -> Outbound:
        lang = self.languages.get(inbound.language_hint)
        text = lang.gettext("Sorry, something went wrong on our side. Please try again in a moment.")
        return Outbound(inbound.identity, inbound.chat_id, Reply(blocks=(Block((Span(text),)),)))
