"""The bot's command line, as an operator runs it: in a subprocess of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.conftest import ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` to its end, with extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


async def spawn_run(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """`python -m bot run` in the background, its output on pipes the caller reads."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )


async def start_run(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    """`python -m bot run` in the background; returns the process and the line it prints when ready."""
    process = await spawn_run(env)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    return process, line
