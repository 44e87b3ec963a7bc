"""What a state shows: text, and rows of buttons named by the action they trigger.

A screen names each button by an action (``field:mobilitaet``, see dialogs/payloads.py);
the engine turns them into short opaque payloads, so no platform ever sees these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.messages import Block, ReplyBuilder

Row = list[tuple[str, str]]


@dataclass
class Screen:
    text: ReplyBuilder = field(default_factory=ReplyBuilder)
    rows: list[Row] = field(default_factory=list)

    def button(self, label: str, action: str) -> Screen:
        self.rows.append([(label, action)])
        return self

    def pair(self, *buttons: tuple[str, str]) -> Screen:
        self.rows.append(list(buttons))
        return self

    @property
    def blocks(self) -> list[Block]:
        return self.text.blocks


def lines(*paragraphs: str) -> Screen:
    """A screen of plain paragraphs."""
    screen = Screen()
    for paragraph in paragraphs:
        screen.text.para(paragraph)
    return screen
