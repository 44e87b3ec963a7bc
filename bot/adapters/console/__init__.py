"""The console: one resident chatting in a terminal (adapter.py), as plain text (render.py).

It is started by ``python -m bot console``, not by ``run``: it needs no settings and
takes no broadcasts, so it is not in the registry of bot/wiring.py.
"""

from __future__ import annotations

PLATFORM = "console"
