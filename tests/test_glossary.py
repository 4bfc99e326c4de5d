"""One word per idea: the glossary of ARCHITECTURE.md holds in the code, params and docs.

Each retired word below names an idea that has another word now; finding it again means two
words for one idea. Module names say what they hold: the vague ones are retired too.
"""

from __future__ import annotations

import re

import pytest

from support import ROOT

RETIRED = {  # pattern: the word to use instead
    r"\btidy\b": "score rows",
    r"\beffective[ _]params\b": "project params",
    r"\bROW_COLUMNS\b": "SCORE_COLUMNS",
    r"\bresults_outputs\b|\bresults\(": "score_outputs / scores(path)",
    r"\bParams\.sections\b|\bparams\.sections\b": "Params.project_params",
    r"dlpipe\.serving\.(store|schema|bundle|drift|window|values|docs|command|drift_command)\b":
        "dlpipe.bundle.* / dlpipe.insight.drift / dlpipe.cli.*",
}
VAGUE_MODULES = {"values.py", "docs.py", "store.py", "command.py", "window.py", "utils.py",
                 "helpers.py", "misc.py"}
SOURCES = sorted([*(ROOT / "src" / "dlpipe").rglob("*.py"), ROOT / "README.md",
                  ROOT / "ARCHITECTURE.md", ROOT / "params.yaml",
                  *(ROOT / "workflow" / "rules").glob("*.smk"), ROOT / "Snakefile"])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_retired_word(path):
    text = path.read_text().split("## Glossary", 1)[0]  # the glossary names the retired words
    found = [(pattern, use, text[:m.start()].count("\n") + 1)
             for pattern, use in RETIRED.items() for m in re.finditer(pattern, text)]
    assert not found, [f"line {line}: retired word {pattern!r}, say {use!r}"
                       for pattern, use, line in found]


def test_module_names_say_what_they_hold():
    vague = [p.relative_to(ROOT).as_posix() for p in (ROOT / "src" / "dlpipe").rglob("*.py")
             if p.name in VAGUE_MODULES]
    assert not vague, vague


def test_the_glossary_names_every_word_kept():
    glossary = (ROOT / "ARCHITECTURE.md").read_text().split("## Glossary", 1)[1]
    for word in ("score row", "project params", "section", "bundle", "network",
                 "model table", "metric", "score"):
        assert f"**{word}**" in glossary, word
