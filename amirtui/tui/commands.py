"""Command palette provider: the current screen's actions (its bindings that apply right now)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .bindings import binding_ids


class ScreenActions(Provider):
    """Offers every described, enabled binding of the screen the palette was opened on."""

    def _commands(self) -> Iterator[tuple[str, str, str]]:
        screen = self.screen
        for b in binding_ids([type(screen)]).values():
            action = b.action
            name = action.split("(")[0]
            if not b.description or screen.check_action(name, ()) is False:
                continue
            yield f"{screen.title or type(screen).__name__}: {b.description}", action, b.tooltip

    async def discover(self) -> Hits:
        for label, action, tip in self._commands():
            yield DiscoveryHit(label, partial(self.screen.run_action, action), help=tip)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, tip in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self.screen.run_action, action), help=tip)
