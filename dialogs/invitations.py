"""„Freunde einladen": a link that opens an idea on the platform the resident uses.

Each platform has its own rules for such a link (Telegram's ``t.me/<bot>?start=idea_42``, the
web chat's ``/?idea=42``, WhatsApp's ``wa.me/<number>?text=idea_42``, Matrix's ``matrix.to``).
The adapters know them and offer theirs here when they start (through the wiring's `Context`);
the dialogue only asks for the invitation of a platform, so it never learns a URL rule.

A rule gets the deep link alone (``idea_42``): an invitation cannot carry who shared it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dialogs.payloads import DeepLink


@dataclass(frozen=True, slots=True)
class Invitation:
    """How someone else opens an idea on one platform."""

    url: str | None = None
    """The link to share; None where the platform has none (the console)."""
    send: str | None = None
    """What they send the bot to open the idea, where a link cannot carry it (Matrix, the console)."""


InviteRule = Callable[[DeepLink], Invitation]
"""A platform's rule: the deep link in, the invitation out."""


def by_command(link: DeepLink) -> Invitation:
    """Where a platform offers no link: the command that opens the idea on every platform."""
    return Invitation(send=f"/start {link}")


class Invitations:
    """The rule of each platform whose adapter offered one; `by_command` for every other."""

    def __init__(self) -> None:
        self._rules: dict[str, InviteRule] = {}

    def offer(self, platform: str, rule: InviteRule) -> None:
        self._rules[platform] = rule

    def for_idea(self, platform: str, idea: int) -> Invitation:
        link = DeepLink("idea", idea)
        found = self._rules.get(platform, by_command)(link)
        return found if found.url or found.send else by_command(link)
