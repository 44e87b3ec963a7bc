"""A `Reply` as terminal text: paragraphs, bullets, and numbered options ``[1] Label``."""

from __future__ import annotations

from dialogs.messages import Reply


def render(reply: Reply) -> str:
    lines = []
    for block in reply.blocks:
        lines.append(("  • " if block.item else "") + block.text)
    for number, button in enumerate(reply.all_buttons(), start=1):
        lines.append(f"[{number}] {button.label}")
    if reply.attachment is not None:
        lines.append(f"--- {reply.attachment.filename} ---")
        lines.append(reply.attachment.content.decode("utf-8"))
        lines.append("---")
    return "\n".join(lines)
