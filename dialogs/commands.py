"""Every slash command, once: collected from the flows, with /help and the command menus made
from the one list (and the README's command table, dialogs/diagram.py).

A command is declared in its flow (`dialogs.flow.Command`): name, aliases, who sees it,
its help line (translated once) and its handler. `find` is how the engine dispatches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dialogs import roles
from dialogs.flow import Arg, Command
from dialogs.flows import FLOWS
from dialogs.i18n import N_, Language
from dialogs.messages import Block, Span, bold
from dialogs.turn import Turn
from storage.models import Role


def show_help(turn: Turn, arg: Arg) -> None:
    """/help: how buttons work, the commands for everyone, then those of the sender's roles."""
    _ = turn.lang.gettext
    turn.note(bold(_("How this works")))
    turn.note(_("Choose an option with its button, or type its name."))
    turn.note(_("These commands work at any time:"))
    for command in for_everyone():
        turn.notes.append(_help_line(turn.lang, command))
    own = for_roles(roles.held(roles.grants_of(turn)))
    if own:
        turn.note(_("Your commands for your role:"))
    for command in own:
        turn.notes.append(_help_line(turn.lang, command))


def _help_line(lang: Language, command: Command) -> Block:
    names = " · ".join(f"/{name}" for name in (command.name, *command.aliases))
    return Block((Span(f"{names} – {lang.gettext(command.help)}"),), item=True)


HELP = Command("help", N_("Help"), run=show_help, aliases=("hilfe",), in_groups=True)

MENU_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
"""What a platform's command menu accepts as a name (Telegram's rule): /menü works when typed,
but only /menue can stand in a menu."""
ALIAS_LANGUAGES = ("de", "de@ls")
"""The aliases are German words: command menus in German list them beside the English names."""


def _collect() -> tuple[Command, ...]:
    declared = [command for flow in FLOWS for command in flow.commands]
    after_menu = next(i for i, command in enumerate(declared) if command.name == "menu") + 1
    return (*declared[:after_menu], HELP, *declared[after_menu:])  # /help right after /menu in every list


COMMANDS = _collect()
BY_NAME: dict[str, Command] = {name: c for c in COMMANDS for name in (c.name, *c.aliases)}
if len(BY_NAME) != sum(1 + len(c.aliases) for c in COMMANDS):
    raise ValueError("two commands share a name: each command is declared once")


def find(name: str) -> Command | None:
    return BY_NAME.get(name)


def for_everyone() -> list[Command]:
    return [command for command in COMMANDS if command.roles is None]


def for_roles(held: set[Role]) -> list[Command]:
    """The commands of someone's roles (the ones for everyone not included)."""
    return [command for command in COMMANDS if command.roles is not None and command.roles & held]


def menu(lang: Language, held: Iterable[Role] = (), *, group: bool = False) -> list[tuple[str, str]]:
    """(command, description) for a platform's command menu, in `lang`: in a group chat the few
    that work there, in a private chat those for everyone and those of the `held` roles."""
    shown = [c for c in COMMANDS if c.in_groups] if group else for_everyone() + for_roles(set(held))
    entries = []
    for command in shown:
        text = lang.gettext(command.help)
        entries.append((command.name, text))
        if lang.code in ALIAS_LANGUAGES:
            entries.extend((alias, text) for alias in command.aliases if MENU_NAME.match(alias))
    return entries
