"""A bounded screen -> action loop for the app flows (post especially): each step looks at the
screen (popups dismissed), runs the action of its screen name, and stops when an action says
done. An unknown screen, too many steps or the same action on the same screen too often fail
the task at once, naming the screen and the step, with the dump. Runs on the task's worker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from appliance.scripts.hierarchy import Screen
from appliance.scripts.ui import Ui

DONE = "done"
#: an action returns what it did (a short label, used to spot loops), or DONE
Action = Callable[[Screen], str]


def run_flow(ui: Ui, step: str, actions: dict[str, Action], *, max_steps: int = 30,
             max_repeat: int = 4, repeats: dict[str, int] | None = None) -> Screen:
    """Drive `actions` until one returns DONE; returns the last screen. `repeats` overrides
    `max_repeat` per action label (e.g. waiting on a loading screen)."""
    seen: Counter = Counter()
    screen = ui.look(step)
    for number in range(1, max_steps + 1):
        name = screen.name or "unreadable"
        action = actions.get(name)
        if action is None:
            raise ui.failure(step, f"unexpected {name} screen at step {number} of '{step}'; "
                                   f"expected one of: {', '.join(sorted(actions))}", screen)
        label = action(screen)
        if label == DONE:
            return screen
        seen[(name, label)] += 1
        limit = (repeats or {}).get(label, max_repeat)
        if seen[(name, label)] > limit:
            raise ui.failure(step, f"stuck on the {name} screen: '{label}' repeated "
                                   f"{seen[(name, label)] - 1} times without effect", screen)
        ui.ctx.sleep(0.3)
        screen = ui.look(step)
    raise ui.failure(step, f"gave up after {max_steps} steps (last: the {screen.name} screen)",
                     screen)
