"""`dvc plots show` renders offline: the repo's plots.html_template (.dvc/config) inlines
vega, vega-lite and vega-embed instead of loading them from a CDN."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from configobj import ConfigObj

from support import ROOT

DVC = Path(sys.executable).with_name("dvc")
REMOTE_SCRIPT = re.compile(r"<script[^>]*\ssrc\s*=\s*[\"']?\s*(https?:)?//", re.IGNORECASE)


def configured_template() -> Path:
    """The plots.html_template of the repo's .dvc/config, resolved as DVC does (against .dvc/)."""
    value = ConfigObj(str(ROOT / ".dvc" / "config")).get("plots", {}).get("html_template")
    assert value, ".dvc/config has no [plots] html_template"
    return (ROOT / ".dvc" / value).resolve()


def run(*cmd, cwd: Path) -> str:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_configured_template_is_the_offline_one():
    template = configured_template()
    assert template == ROOT / "workflow" / "plots" / "index.html"
    text = template.read_text(encoding="utf8")
    assert text.count("{plot_divs}") == 1
    # dvc_render fills "{scripts}" with its CDN <script src> tags: the template must not have it.
    assert "{scripts}" not in text
    assert not REMOTE_SCRIPT.search(text)
    assert template.stat().st_size < 2_000_000


@pytest.mark.skipif(not DVC.exists() or shutil.which("git") is None, reason="needs dvc and git")
def test_plots_show_loads_no_remote_script(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    run("git", "init", "-q", cwd=repo)
    run(DVC, "init", "-q", cwd=repo)
    # Absolute, so the temporary repo needs no copy of workflow/plots/.
    with (repo / ".dvc" / "config").open("a") as config:
        config.write(f"[plots]\n    html_template = {configured_template()}\n")
    (repo / "curve.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(5)))
    (repo / "dvc.yaml").write_text("plots:\n  - curve.csv:\n      x: x\n      y: y\n")

    out = tmp_path / "out"
    run(DVC, "plots", "show", "--out", out, cwd=repo)

    html = (out / "index.html").read_text(encoding="utf8")
    assert not REMOTE_SCRIPT.search(html), REMOTE_SCRIPT.search(html).group(0)
    assert "cdn.jsdelivr.net" not in html
    assert ").vega={}" in html                            # vega UMD global
    assert ".vegaLite={}" in html                         # vega-lite UMD global
    assert ".vegaEmbed=" in html                          # vega-embed UMD global
    assert "vegaEmbed('#curve_csv'" in html               # the plot itself was embedded
