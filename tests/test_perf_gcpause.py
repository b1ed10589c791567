"""The pre-solver speed-ups keep behaviour: the GC pause restores the collector's state,
and the YAML loader (libyaml when available) still refuses what it refused before."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import yaml

from planner.errors import InputError
from planner.gcpause import paused_gc
from planner.inputs.yaml_safe import _SafeLoader, load_yaml_issues


def test_paused_gc_restores_the_collector_even_on_errors() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: stays off
    finally:
        gc.enable()


def test_loader_uses_libyaml_when_pyyaml_has_it() -> None:
    if getattr(yaml, "__with_libyaml__", False):
        assert issubclass(_SafeLoader, yaml.CSafeLoader)
    else:
        assert issubclass(_SafeLoader, yaml.SafeLoader)


@pytest.mark.parametrize(("text", "needle"), [
    ("a: !!python/object/apply:os.system [echo hi]\n", "is not allowed"),
    ("a: [1, 2\n", "invalid YAML"),
    ("a: &x [*x]\n", "recursive alias"),
])
def test_unsafe_or_broken_yaml_is_refused(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "x.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_yaml_issues(p, "x.yaml")
    assert needle in str(exc.value.issues[0].message)


def test_alias_bomb_and_duplicate_keys_still_caught(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        load_yaml_issues(p, "bomb.yaml")
    assert "expands to more than" in exc.value.issues[0].message
    d = tmp_path / "dup.yaml"
    d.write_text("a: 1\nb: 2\na: 3\n")
    _data, issues = load_yaml_issues(d, "dup.yaml")
    assert [i.field for i in issues] == ["a (line 3)"]
