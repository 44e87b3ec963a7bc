"""What a flow module declares, and the conditions and effects every flow shares.

A flow (dialogs/flows/) is one part of the dialogue: its states with the screen each
shows, the transitions between them, the commands it answers and the privileged button
actions it runs. The engine collects them (dialogs/flows/__init__.py, `FLOWS`).

States of a flow with several steps are named ``<flow>_<step>`` (``submit_title``), the
naming convention of `transitions`' nested states; a flow lists its steps once, so a
transition that leaves from every step ("discard", "back") is declared once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dialogs.screen import Screen
from dialogs.turn import Turn
from storage.models import Role

Arg = str | None
Condition = Callable[[Turn, Arg], bool]
Effect = Callable[[Turn, Arg], None]
ScreenOf = Callable[[Turn], Screen]
Transition = dict[str, Any]


@dataclass(frozen=True)
class Command:
    """A slash command, declared once: /help, the Telegram menus and the README are made from it."""

    name: str
    help: str
    """One line, a message id (``N_``): translated once for /help and the command menus."""
    roles: frozenset[Role] | None = None
    """Who sees it in /help and the menus; None: everyone. The handler checks the role itself,
    through dialogs/roles.py, when it runs."""
    run: Effect | None = None
    """Its handler (it may set ``turn.screen_override``); None: the machine trigger of the same name."""
    aliases: tuple[str, ...] = ()
    in_groups: bool = False
    """Offered in group chats too (where the bot answers with a link to a private chat)."""


@dataclass(frozen=True)
class Flow:
    name: str
    screens: dict[str, ScreenOf]
    """Each state of the flow and what the resident sees there."""
    transitions: list[Transition]
    commands: tuple[Command, ...] = ()
    actions: dict[str, Effect] = field(default_factory=dict)
    """Privileged button actions by trigger (``mod`` for ``mod:approve:42``): they run a
    handler instead of a transition, and check the role themselves."""

    @property
    def states(self) -> list[str]:
        return list(self.screens)


# -- conditions and effects every flow uses ----------------------------------------------------


def onboarded(turn: Turn, arg: Arg) -> bool:
    return turn.onboarded


def arg_is(expected: str) -> Condition:
    def matches(turn: Turn, arg: Arg) -> bool:
        return arg == expected

    matches.__name__ = f"arg_is_{expected}"
    return matches


def clear_flow(turn: Turn, arg: Arg) -> None:
    """Forget a half-finished flow (a draft, a tour position), keep the deep link."""
    turn.conversation.leave_flow()


def leave_flow(turn: Turn, arg: Arg) -> None:
    """Leave for another part of the dialogue; say so if that drops an unsent idea."""
    had_draft = turn.conversation.idea_draft is not None
    turn.conversation.leave_flow()
    if had_draft:
        _ = turn.lang.gettext
        turn.note(_("Your unsent idea was discarded."))


def say_cancelled(turn: Turn, arg: Arg) -> None:
    """/cancel, or "Yes, discard it": leave what was begun, and say whether a draft went with it."""
    had_draft = turn.conversation.idea_draft is not None
    turn.conversation.leave_flow()
    _ = turn.lang.gettext
    if had_draft:
        turn.note(_("Cancelled. Your draft was not saved."))
    else:
        turn.note(_("Cancelled."))


def as_int(arg: Arg) -> int | None:
    """A number a client sent, read strictly."""
    return int(arg) if arg is not None and arg.isascii() and arg.isdigit() and len(arg) < 10 else None
