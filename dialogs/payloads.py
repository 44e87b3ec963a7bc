"""Every payload a client sends back, as typed values: one codec, and who may send which kind.

On the wire (Telegram's callback data, the web chat's button value, Matrix's numbered options
and reactions) a payload is short text; everything beyond this module handles the values:

- `MenuChoice` ``7.2``: button 2 of the menu with generation 7 (the actions behind it stay
  in the conversation, dialogs/conversation.py `Menu`);
- `TokenChoice` ``a.<token>``: a button of a moderator's notification, looked up in the store;
- `LinkChoice` ``l.idea_42``: a broadcast's button, the same as the deep link ``/start idea_42``;
- `ReactionChoice` ``r.support.42``: a reaction on an idea's message, where a platform has them;
- `PollChoice` ``p.12.3``: option 3 (0-based) of poll 12, tapped on a poll's message (a button, or
  a number typed on Matrix); ``p.12.3.a`` and ``p.12.3.r``: the reaction 4️⃣ added to or taken
  back from that message (Matrix).

These forms are the ones buttons already sent to residents carry, so old buttons still decode;
whether they still mean something is for the engine to check. Anything that does not decode
is `None`, which the engine answers with "this menu is out of date" — never an exception.

Inside the bot, a button is named by an `Action` (``field:mobilitaet``, ``mod:approve:42``):
its trigger and an optional argument. Actions are never sent to a client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dialogs.messages import InboundKind

CALLBACK_LIMIT = 64
"""Bytes of callback data Telegram accepts; every payload this module makes fits."""
MAX_GENERATION = 100_000
"""Menu generations count up and wrap here, so a menu payload stays short."""

Vote = Literal["support", "withdraw"]


@dataclass(frozen=True, slots=True)
class MenuChoice:
    generation: int
    index: int


@dataclass(frozen=True, slots=True)
class TokenChoice:
    token: str


@dataclass(frozen=True, slots=True)
class LinkChoice:
    link: str
    """A deep link: ``idea_42`` or ``field_3``."""


@dataclass(frozen=True, slots=True)
class ReactionChoice:
    vote: Vote
    idea: int


PollMode = Literal["tap", "add", "remove"]
"""A tap chooses an option (and, in a multiple-choice poll, takes it back when chosen); a
reaction added chooses it, a reaction taken back takes it back."""
MAX_POLL_OPTIONS = 6
POLL_REACTIONS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣")
"""The reactions that answer a poll's options on Matrix, in the options' order."""


@dataclass(frozen=True, slots=True)
class PollChoice:
    poll: int
    option: int
    mode: PollMode = "tap"


Payload = MenuChoice | TokenChoice | LinkChoice | ReactionChoice | PollChoice

SENT_AS: dict[InboundKind, tuple[type[Payload], ...]] = {
    InboundKind.BUTTON: (MenuChoice, TokenChoice, LinkChoice, PollChoice),
    InboundKind.REACTION: (ReactionChoice, PollChoice),
}
"""Which payloads arrive as which kind of event; a payload of another kind is refused."""
REACTION_PLATFORMS = frozenset({"matrix"})
"""Platforms whose adapters turn reactions into events (bot/adapters/matrix.py); from any
other platform a reaction is made up."""

_MENU = re.compile(r"(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,2})", re.ASCII)
_TOKEN = re.compile(r"a\.([A-Za-z0-9_-]{1,32})", re.ASCII)
_DEEP_LINK = re.compile(r"(idea|field)_([0-9]{1,9})", re.ASCII)
_LINK = re.compile(r"l\.((?:idea|field)_[0-9]{1,9})", re.ASCII)
_REACTION = re.compile(r"r\.(support|withdraw)\.([0-9]{1,9})", re.ASCII)
_POLL = re.compile(r"p\.([0-9]{1,9})\.([0-5])(?:\.([ar]))?", re.ASCII)
_POLL_MODES: dict[str | None, PollMode] = {None: "tap", "a": "add", "r": "remove"}


def encode(payload: Payload) -> str:
    match payload:
        case MenuChoice(generation, index):
            return f"{generation}.{index}"
        case TokenChoice(token):
            return f"a.{token}"
        case LinkChoice(link):
            return f"l.{link}"
        case ReactionChoice(vote, idea):
            return f"r.{vote}.{idea}"
        case PollChoice(poll, option, mode):
            suffix = {"tap": "", "add": ".a", "remove": ".r"}[mode]
            return f"p.{poll}.{option}{suffix}"


def decode(text: str, kind: InboundKind, platform: str) -> Payload | None:
    """The payload a client sent as an event of `kind` from `platform`; None if it is not one it may send."""
    if len(text) > CALLBACK_LIMIT:
        return None
    payload = _parse(text)
    if payload is None or not isinstance(payload, SENT_AS.get(kind, ())):
        return None
    if isinstance(payload, ReactionChoice) and platform not in REACTION_PLATFORMS:
        return None
    if isinstance(payload, PollChoice) and (payload.mode == "tap") != (kind is InboundKind.BUTTON):
        return None  # a tap comes as a button, a reaction as a reaction
    if isinstance(payload, PollChoice) and kind is InboundKind.REACTION and platform not in REACTION_PLATFORMS:
        return None
    return payload


def _parse(text: str) -> Payload | None:
    if match := _MENU.fullmatch(text):
        return MenuChoice(int(match.group(1)), int(match.group(2)))
    if match := _TOKEN.fullmatch(text):
        return TokenChoice(match.group(1))
    if match := _LINK.fullmatch(text):
        return LinkChoice(match.group(1))
    if match := _REACTION.fullmatch(text):
        vote: Vote = "support" if match.group(1) == "support" else "withdraw"
        return ReactionChoice(vote, int(match.group(2)))
    if match := _POLL.fullmatch(text):
        return PollChoice(int(match.group(1)), int(match.group(2)), _POLL_MODES[match.group(3)])
    return None


def is_menu_choice(text: str) -> bool:
    """Whether a button's payload chooses from the resident's current menu (not a notification's own button)."""
    return _MENU.fullmatch(text) is not None


def is_link(text: str) -> bool:
    """Whether a button's payload is on a broadcast's message (a link or a poll's option): its
    answer comes as a new message, so the broadcast stays readable and its buttons keep working."""
    return _LINK.fullmatch(text) is not None or _POLL.fullmatch(text) is not None


def poll_option(poll: int, option: int) -> str:
    """The payload of a poll message's button for `option`."""
    return encode(PollChoice(poll, option))


def poll_reaction(poll: int, option: int) -> tuple[str, str]:
    """The payloads of adding and of taking back the reaction of `option` on a poll's message."""
    return encode(PollChoice(poll, option, "add")), encode(PollChoice(poll, option, "remove"))


def support_reaction(idea: int) -> tuple[str, str]:
    """The payloads of adding and of taking back 👍 on an idea's message."""
    return encode(ReactionChoice("support", idea)), encode(ReactionChoice("withdraw", idea))


def idea_link(idea: int) -> str:
    """The payload of a button that opens an idea, like the deep link ``/start idea_42``."""
    return encode(LinkChoice(f"idea_{idea}"))


@dataclass(frozen=True, slots=True)
class DeepLink:
    """``idea_42`` or ``field_3`` (the third Handlungsfeld of the content file)."""

    kind: Literal["idea", "field"]
    number: int

    @classmethod
    def parse(cls, text: str | None) -> DeepLink | None:
        match = _DEEP_LINK.fullmatch(text or "")
        if match is None:
            return None
        return cls("idea" if match.group(1) == "idea" else "field", int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.kind}_{self.number}"


@dataclass(frozen=True, slots=True)
class Action:
    """What a button does inside the bot: a trigger and its argument (``field:mobilitaet``)."""

    trigger: str
    arg: str | None = None

    @classmethod
    def parse(cls, text: str) -> Action:
        trigger, _sep, arg = text.partition(":")
        return cls(trigger, arg or None)

    def __str__(self) -> str:
        return self.trigger if self.arg is None else f"{self.trigger}:{self.arg}"
