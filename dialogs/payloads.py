"""Every payload a client sends back, as typed values: one codec, and who may send which kind.

On the wire (Telegram's callback data, the web chat's button value, Matrix's numbered options
and reactions) a payload is short text; everything beyond this module handles the values:

- `MenuChoice` ``7.2``: button 2 of the menu with generation 7 (the actions behind it stay
  in the conversation, dialogs/conversation.py `Menu`);
- `TokenChoice` ``a.<token>``: a button of a moderator's notification, looked up in the store;
- `LinkChoice` ``l.idea_42``: a broadcast's button, the same as the deep link ``/start idea_42``;
- `ReactionChoice` ``r.support.42``: a reaction on an idea's message, where a platform has them.

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


Payload = MenuChoice | TokenChoice | LinkChoice | ReactionChoice

SENT_AS: dict[InboundKind, tuple[type[Payload], ...]] = {
    InboundKind.BUTTON: (MenuChoice, TokenChoice, LinkChoice),
    InboundKind.REACTION: (ReactionChoice,),
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


def decode(text: str, kind: InboundKind, platform: str) -> Payload | None:
    """The payload a client sent as an event of `kind` from `platform`; None if it is not one it may send."""
    if len(text) > CALLBACK_LIMIT:
        return None
    payload = _parse(text)
    if payload is None or not isinstance(payload, SENT_AS.get(kind, ())):
        return None
    if isinstance(payload, ReactionChoice) and platform not in REACTION_PLATFORMS:
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
    return None


def is_link(text: str) -> bool:
    """Whether a button's payload is a broadcast's link (its answer comes as a new message)."""
    return _LINK.fullmatch(text) is not None


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
