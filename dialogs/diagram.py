"""The dialogue table as a Mermaid diagram, for the README and the towns' staff."""

from __future__ import annotations

from dialogs.table import TRANSITIONS


def mermaid() -> str:
    """Every state-changing transition of the table, global commands shown once."""
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
    note = "/start /menu /cancel /language /privacy /stop from every state; staff: /broadcast"
    lines.append(f"    note right of any: {note}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
