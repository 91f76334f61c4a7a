"""Binding helpers: every binding has an id (``review.approve``) and a tooltip, so ``ui.keymap`` can remap it.

Keymap entries are validated against the ids the app actually defines: a typo in config.yaml is an error naming
the key, never a silently ignored remap.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding

from ..core.errors import ConfigError


def bind(key: str, action: str, description: str, id: str, tooltip: str, *, show: bool = True,
         priority: bool = False, key_display: str | None = None) -> Binding:
    """A :class:`Binding` that always carries an id and a tooltip (the project rule)."""
    return Binding(key, action, description, show=show, id=id, tooltip=tooltip, priority=priority,
                   key_display=key_display)


def binding_ids(owners: Iterable[type]) -> dict[str, Binding]:
    """Every binding id defined on ``owners`` (App / Screen / Widget classes, including inherited bindings)."""
    found: dict[str, Binding] = {}
    for owner in owners:
        for cls in owner.__mro__:
            for b in getattr(cls, "BINDINGS", []) or []:
                if isinstance(b, Binding) and b.id:
                    found.setdefault(b.id, b)
    return found


def validate_keymap(keymap: dict[str, str], known: dict[str, Binding]) -> dict[str, str]:
    """Check ``ui.keymap``: every id must exist and every value be a non-empty comma list of keys.

    Raises :class:`ConfigError` naming the offending key (``ui.keymap.<id>``) and listing valid ids.
    """
    clean: dict[str, str] = {}
    for bid, keys in keymap.items():
        if bid not in known:
            near = ", ".join(sorted(k for k in known if k.split(".")[0] == bid.split(".")[0])) or ", ".join(sorted(known))
            raise ConfigError(f"ui.keymap.{bid}: no binding has this id", fix=f"use one of: {near}")
        parts = [k.strip() for k in str(keys).split(",")]
        if not all(parts):
            raise ConfigError(f"ui.keymap.{bid}: '{keys}' is not a comma-separated list of keys",
                              fix='write keys like "a" or "a,space" or "ctrl+s"')
        clean[bid] = ",".join(parts)
    return clean
