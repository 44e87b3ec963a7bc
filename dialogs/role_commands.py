"""Which commands each role may use: for /help and for the platforms' command menus."""

from __future__ import annotations

from dialogs.i18n import N_
from storage.models import Role

ANY_ROLE = frozenset(Role)
MODERATING = frozenset({Role.MODERATOR, Role.ADMIN})
STAFF = frozenset({Role.STAFF, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})

ROLE_COMMANDS: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("whoami", N_("Your identity and roles"), ANY_ROLE),
    ("queue", N_("Ideas waiting for a decision"), MODERATING),
    ("approve", N_("Publish an idea: /approve 42"), MODERATING),
    ("reject", N_("Reject with a reason: /reject 42"), MODERATING),
    ("hide", N_("Hide an idea: /hide 42"), MODERATING),
    ("merge", N_("Merge a duplicate: /merge 42 17"), MODERATING),
    ("bar", N_("Bar from submitting: /bar telegram:123 reason"), MODERATING),
    ("unbar", N_("Lift a bar: /unbar telegram:123"), MODERATING),
    ("progress", N_("Report progress: /progress 42 umsetzung"), STAFF),
    ("stats", N_("Figures: ideas, supports, participants"), STAFF),
    ("dashboard", N_("A login link to the dashboard"), STAFF),
    ("broadcast", N_("Write a message to subscribers"), STAFF),
    ("broadcasts", N_("Messages sent: figures, pause, cancel"), STAFF),
    ("grant", N_("Give a role: /grant telegram:123 moderator aalen"), ADMIN),
    ("revoke", N_("Take a role away"), ADMIN),
)
"""(command, untranslated description, roles that may use it)."""


def commands_for(roles: set[Role]) -> list[tuple[str, str]]:
    """(command, untranslated description) of the commands someone with `roles` may use."""
    return [(name, text) for name, text, allowed in ROLE_COMMANDS if allowed & roles]
