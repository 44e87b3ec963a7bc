"""The dialogue as a Mermaid diagram and the command table, for the README and the towns' staff.

Both are made from the flows (``python -m dialogs.diagram`` prints them); tests keep the
README current.
"""

from __future__ import annotations

from dialogs import commands
from dialogs.flow import Command
from dialogs.flows import TRANSITIONS
from storage.models import Role

ROLE_WORDS = {Role.MODERATOR: "moderators", Role.STAFF: "staff", Role.ADMIN: "admins"}


def mermaid() -> str:
    """Every state-changing transition of the flows, those from any state shown once."""
    lines = ["stateDiagram-v2", "    [*] --> new"]
    seen: set[tuple[str, str, str]] = set()
    for row in TRANSITIONS:
        dest = row["dest"]
        if dest is None:
            continue
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for source in sources:
            origin = "any" if source == "*" else source
            edge = (origin, dest, row["trigger"])
            if edge not in seen:
                seen.add(edge)
                lines.append(f"    {origin} --> {dest}: {row['trigger']}")
    everyone = " ".join(f"/{command.name}" for command in commands.for_everyone())
    lines.append(f"    note right of any: {everyone} from every state; staff: /broadcast")
    return "\n".join(lines)


def command_table() -> str:
    """The command table in the README (in English; a test keeps it current)."""
    rows = ["| command | who | what it does |", "| --- | --- | --- |"]
    for command in commands.COMMANDS:
        shown = ", ".join(f"`/{name}`" for name in (command.name, *command.aliases))
        rows.append(f"| {shown} | {_who(command)} | {command.help} |")
    return "\n".join(rows)


def _who(command: Command) -> str:
    if command.roles is None:
        return "everyone"
    return ", ".join(ROLE_WORDS[role] for role in Role if role in command.roles and role in ROLE_WORDS)


if __name__ == "__main__":
    print(mermaid())
    print()
    print(command_table())
