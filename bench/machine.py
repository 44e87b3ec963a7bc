"""Why one shared state machine: cost of a step with a machine built per message vs. shared.

Both variants fire the same trigger on a light model; the first builds the whole
`transitions` machine from the dialogue table for every message, as a naive design would.

Usage:  python bench/machine.py [--steps 2000]
"""

from __future__ import annotations

import argparse
import time

from dialogs.engine import build_machine


class Model:
    """Stands in for a Turn: the machine only reads and writes `state` for this trigger."""

    def __init__(self) -> None:
        self.state = "menu"


def per_message(steps: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        machine = build_machine()
        model = Model()
        machine.events["tour"].trigger(model)
    return (time.perf_counter() - started) / steps


def shared(steps: int) -> float:
    machine = build_machine()
    started = time.perf_counter()
    for _ in range(steps):
        model = Model()
        machine.events["tour"].trigger(model)
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    built = min(per_message(args.steps // 10) for _ in range(3))
    reused = min(shared(args.steps) for _ in range(3))
    print(f"machine built per message: {built * 1e6:8.1f} µs per step")
    print(f"one shared machine:        {reused * 1e6:8.1f} µs per step")
    print(f"shared is {built / reused:.0f}x cheaper")


if __name__ == "__main__":
    main()
