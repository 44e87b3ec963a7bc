"""Broadcasts to Matrix: m.notice at MATRIX_RATE; progress messages edited with m.replace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.matrix import PLATFORM
from bot.adapters.matrix.render import notice
from bot.pacing import Limiter
from dialogs.messages import Outbound

if TYPE_CHECKING:
    from bot.adapters.matrix.adapter import MatrixAdapter


class MatrixTransport:
    """Broadcast messages as m.notice; progress messages edited with m.replace."""

    platform = PLATFORM
    supports_edit = True

    def __init__(self, adapter: MatrixAdapter, rate: float) -> None:
        self.adapter = adapter
        self.limiter = Limiter(rate)

    async def post(self, outbound: Outbound) -> str | None:
        reply = outbound.reply
        event_id = await self.adapter.send_once(outbound.chat_id, notice(reply))
        if reply.buttons:
            await self.adapter.options.remember(outbound.recipient, reply)
        if event_id and reply.reactions:  # a poll's 1️⃣–6️⃣
            await self.adapter.remember_reactions(event_id, reply)
        return event_id

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        new = notice(outbound.reply)
        content = {
            **new,
            "body": "* " + new["body"],
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": message_id},
        }
        await self.adapter.send_once(outbound.chat_id, content)
