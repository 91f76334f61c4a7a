"""Command palette providers: go to any screen by name, and run any action of the current screen."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .bindings import binding_ids

#: Palette names of the screens (the App's modes), in F-key order.
SCREENS: tuple[tuple[str, str, str], ...] = (
    ("review", "Review", "F2"), ("run", "Run", "F3"), ("preflight", "Preflight", "F4"), ("import", "Import", "F5"),
    ("publish", "Publish", "F6"), ("summary", "Summary", "F7"), ("taxonomy", "Taxonomy", "F8"),
)


class GoToScreen(Provider):
    """Offers every screen by name ("import", "review", …)."""

    def _commands(self) -> Iterator[tuple[str, str, str]]:
        for mode, title, key in SCREENS:
            if mode in getattr(self.app, "MODES", {}):
                yield f"Go to {title} ({key})", mode, f"switch to the {title} screen"

    def _go(self, mode: str) -> None:
        self.app.switch_mode(mode)

    async def discover(self) -> Hits:
        for label, mode, tip in self._commands():
            yield DiscoveryHit(label, partial(self._go, mode), help=tip)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, mode, tip in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._go, mode), help=tip)


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
