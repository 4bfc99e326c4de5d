"""`make test`'s DAG phase collects tests/dag alone (its workers import no unit test module):
every test marked ``slow`` must live there, or that phase would never run it."""

from __future__ import annotations

from pathlib import Path

from support import ROOT

TESTS = ROOT / "tests"
DAG = TESTS / "dag"
MARK = "mark.slow"


def test_every_slow_test_lives_where_the_dag_phase_collects():
    outside = [path.relative_to(TESTS).as_posix() for path in sorted(TESTS.rglob("test_*.py"))
               if DAG not in path.parents and path != Path(__file__)
               and MARK in path.read_text()]
    assert outside == [], f"marked slow outside tests/dag: {outside}"
    recipe = (ROOT / "Makefile").read_text().split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    assert "-m slow tests/dag " in recipe
    assert all(MARK in path.read_text() for path in DAG.glob("test_*.py"))
