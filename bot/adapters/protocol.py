"""What every platform adapter is, and what the wiring hands it.

An adapter translates only: its platform's events become `Inbound`s handed to the one
way in (`Context.receive`), and an `Outbound` becomes its platform's call (`send`).
It reaches the store only through `Context.port`. See docs/adding-a-platform.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.adapters.port import StorePort
from bot.broadcasting.transport import Transport
from bot.delivery import Delivery
from bot.receive import Receive
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.invitations import Invitations
from dialogs.messages import Outbound

if TYPE_CHECKING:
    from aiohttp import web
    from pydantic_settings import BaseSettings


class Adapter(Protocol):
    platform: str
    """The first part of an identity on this platform (``telegram`` in ``telegram:12345``)."""

    async def start(self) -> None:
        """Connect and start receiving; raise where the platform refused the configured account."""

    async def stop(self) -> None:
        """Stop receiving; replies not sent yet stay kept in the store."""

    async def send(self, outbound: Outbound) -> object:
        """Send one reply; raise `DeliverLater` where the platform could not take it now."""

    def transport(self) -> Transport:
        """How broadcasts reach this platform, at its rate."""

    def alive(self) -> bool | None:
        """Whether the receive loop runs (reported by `/readyz`); None without a loop of its own."""

    def describe(self) -> str:
        """The platform and account, for the line printed at start-up (``Telegram @mitmach_bot``)."""


@dataclass
class Context:
    """What the wiring passes to each adapter it builds."""

    receive: Receive
    port: StorePort
    delivery: Delivery
    languages: Languages
    invitations: Invitations
    """Where an adapter offers its rule for invite links once it knows it (dialogs/invitations.py)."""
    public_url: str | None = None
    http: web.Application | None = None
    """The bot's HTTP server, where an adapter may add routes (a webhook) before it starts."""
    workers: int = 1
    """How many worker processes share the web port and the store (`python -m bot run --workers N`)."""


def context_for(
    engine: Engine,
    delivery: Delivery | None = None,
    *,
    public_url: str | None = None,
    http: web.Application | None = None,
) -> Context:
    """The context for adapters on `engine`; one `Delivery` shared by every adapter of a process."""
    delivery = delivery or Delivery()
    return Context(
        receive=Receive(engine, delivery),
        port=StorePort(engine.store, engine.admins),
        delivery=delivery,
        languages=engine.languages,
        invitations=engine.invitations,
        public_url=public_url,
        http=http,
    )


@dataclass(frozen=True)
class Platform:
    """One line of the registry in bot/wiring.py: how to configure and build one adapter.

    `build` imports the adapter itself, so that a platform's library is loaded only where
    the platform is configured (aiogram alone takes seconds to import)."""

    name: str
    settings: type[BaseSettings]
    configured: Callable[[Any], bool]
    """Whether the operator set this platform up (its token or server is set)."""
    build: Callable[[Context, Any], Adapter]
    refused: Callable[[Any, Exception], str]
    """The operator's message when `start` failed: what went wrong, and which settings to check."""
    single: bool = False
    """Only one worker process may run it at a time (bot/election.py): Matrix has one sync loop."""
