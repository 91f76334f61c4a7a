"""The one state machine: every legal transition works and is recorded; every illegal one raises and changes nothing."""

from __future__ import annotations

import itertools

import pytest

from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet, StateChange
from amirtui.core.errors import IllegalTransition
from amirtui.core.events import RowChanged
from amirtui.core.states import TRANSITIONS, State, can_transition

ALL_PAIRS = list(itertools.product(State, State))


def make_photo(state: State) -> int:
    pset = PhotoSet.create(subject="S", location="L", folder="F")
    return Photo.create(set=pset, state=state.value, original_path="/x.jpg", original_name="x.jpg").id


def test_every_state_has_an_entry_and_published_rows_stay_managed():
    assert set(TRANSITIONS) == set(State)
    # a published row can only be edited (→ modified) or unpublished; it never goes back into the pipeline
    assert TRANSITIONS[State.PUBLISHED] == {State.MODIFIED, State.UNPUBLISHING}
    assert TRANSITIONS[State.UNPUBLISHED] == frozenset()  # its name stays reserved forever
    for live in (State.PUBLISHED, State.MODIFIED, State.REPUBLISHING, State.UNPUBLISHING, State.UNPUBLISHED):
        assert not can_transition(live, State.ROLLED_BACK)  # rollback never touches rows that were on the website
        assert not can_transition(live, State.REJECTED)


@pytest.mark.parametrize("src, dst", [p for p in ALL_PAIRS if can_transition(*p)], ids=lambda s: s.value)
def test_legal_transition_moves_and_records_history(db, bus, src, dst):
    pid = make_photo(src)
    repo.transition(pid, dst, reason="because", actor="operator", bus=bus)
    assert Photo.get_by_id(pid).state == dst.value
    change = StateChange.get(StateChange.photo == pid)
    assert (change.from_state, change.to_state, change.actor, change.reason) == (src.value, dst.value, "operator", "because")
    assert any(isinstance(e, RowChanged) and e.photo_id == pid for e in bus.seen)


@pytest.mark.parametrize("src, dst", [p for p in ALL_PAIRS if not can_transition(*p)], ids=lambda s: s.value)
def test_illegal_transition_raises_and_changes_nothing(db, src, dst):
    pid = make_photo(src)
    with pytest.raises(IllegalTransition):
        repo.transition(pid, dst)
    assert Photo.get_by_id(pid).state == src.value
    assert StateChange.select().where(StateChange.photo == pid).count() == 0


def test_expect_guards_against_a_concurrent_move(db):
    pid = make_photo(State.SCORED)
    with pytest.raises(IllegalTransition):
        repo.transition(pid, State.PREFILLED, expect=[State.MODEL_READY])
    assert Photo.get_by_id(pid).state == State.SCORED.value
