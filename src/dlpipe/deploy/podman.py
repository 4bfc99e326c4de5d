"""The image built with podman: the locked wheels it installs gathered on the host (once,
then reused), the base built from Debian's packages when it is the local one and absent, and
``podman build`` of the staged context, which tags the image only when every step succeeded."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dlpipe.deploy.image import CONTAINERFILE, LOCK, ImagePlan
from dlpipe.errors import DataError

log = logging.getLogger("dlpipe.image")
LOCAL_BASE = "localhost/dlpipe-base:"  # a base of this name is built here, never pulled
BUILD_BASE = "container/build-base.sh"
SETUP = "container/setup-podman.sh"
RUNTIME = "runtime.txt"  # beside the wheels: what the image installs from them


def podman() -> str:
    """The podman executable; a :class:`DataError` naming the script that installs it."""
    found = shutil.which("podman")
    if found is None:
        raise DataError(f"podman is not installed: `bash {SETUP}` installs it (root, Debian), "
                        "or see https://podman.io/docs/installation")
    return found


def gather_wheels(root: Path, cache: Path, backends: tuple[str, ...]) -> Path:
    """A wheel of every pin of the lock the image installs in ``cache`` (pip builds or fetches
    the missing ones, through the host's pip configuration), the lock itself, the requirements
    of dlpipe with the Keras ``backends`` beside TensorFlow, and a fresh wheel of dlpipe from
    ``root``'s source: the directory the image installs from with no index."""
    cache.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--quiet", "--no-deps", "--wheel-dir"]
    runtime = runtime_requirements(root, backends)
    pins = (root / LOCK).read_text().split()
    missing = missing_wheels(needed_pins(pins, [*runtime, *installer(root)]), cache)
    if missing:
        _run([*pip, str(cache), *missing], f"gathering {len(missing)} locked wheels")
    for old in cache.glob("dlpipe-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="dlpipe-source-") as source:
        copy_source(root, Path(source))
        _run([*pip, str(cache), "--no-build-isolation", source], "building dlpipe's wheel")
    shutil.copy2(root / LOCK, cache / LOCK)
    (cache / RUNTIME).write_text("\n".join(runtime) + "\n")
    return cache


def copy_source(root: Path, where: Path) -> None:
    """What dlpipe's wheel is built from, copied to ``where``: a build in ``root`` would leave
    setuptools' ``build/`` in the working copy, and a module deleted since an earlier build
    would stay in it and so in the wheel."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, where / name)
    shutil.copytree(root / "src", where / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))


def needed_pins(pins: list[str], requirements: list[str]) -> list[str]:
    """The lock's ``pins`` that installing ``requirements`` takes: each requirement and what
    it requires in turn, read from the metadata of the packages installed here (this venv
    holds the lock's versions; markers evaluated for this Python and platform, the image's
    too). Every pin when a package on the way is not installed here."""
    locked = {canonicalize_name(pin.split("==", 1)[0]): pin for pin in pins}
    extras: dict[str, set[str]] = {}  # a package reached -> the extras asked of it
    todo = [Requirement(line) for line in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        asked = {"", *requirement.extras}
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if asked <= extras.get(name, set()):
            continue
        extras[name] = extras.get(name, set()) | asked
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            log.info("%s is not installed here: gathering every pin of the lock", name)
            return pins
        for line in requires:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra})
                                            for extra in extras[name]):
                todo.append(Requirement(str(needed).split(";", 1)[0]))
    return [pin for name, pin in locked.items() if name in extras]


def installer(root: Path) -> list[str]:
    """The installer the image's install runs (the ``setup`` extra: uv), from the lock too."""
    return _project(root).get("optional-dependencies", {}).get("setup", [])


def missing_wheels(pins: list[str], cache: Path) -> list[str]:
    """The ``name==version`` pins with no wheel of that name and version in ``cache`` (pip
    would only copy those again from its own cache, a gigabyte for the whole lock)."""
    held = {_pin(*wheel.name.split("-")[:2]) for wheel in cache.glob("*.whl")}
    return [pin for pin in pins if _pin(*pin.split("==", 1)) not in held]


def _pin(name: str, version: str) -> str:
    """``name==version`` with the name as PEP 503 normalises it (wheel file names use ``_``)."""
    return f"{canonicalize_name(name)}=={version}"


def runtime_requirements(root: Path, backends: tuple[str, ...]) -> list[str]:
    """What dlpipe needs to run with the Keras ``backends`` beside TensorFlow: pyproject's
    dependencies and the extras of those backends (never the tests' and docs' ones)."""
    project = _project(root)
    extras = project.get("optional-dependencies", {})
    return [*project["dependencies"], *(r for name in backends for r in extras[name])]


def _project(root: Path) -> dict:
    """The ``[project]`` table of ``root``'s pyproject.toml."""
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def built_here(base: str) -> bool:
    """Whether ``base`` is the base this project builds from Debian's packages (never pulled)."""
    return base.startswith(LOCAL_BASE)


def ensure_base(base: str, root: Path) -> None:
    """Build the local base from Debian's packages if it is absent; any other base is left to
    ``podman build`` to pull."""
    if not built_here(base):
        return
    exists = subprocess.run([podman(), "image", "exists", base], capture_output=True)
    if exists.returncode == 0:
        return
    log.info("building the base %s from Debian's packages (debootstrap)", base)
    _run(["bash", str(root / BUILD_BASE), base], f"building the base {base}")


def build(image: ImagePlan, base: str, context: Path, no_cache: bool = False) -> str:
    """``podman build`` of the staged ``context``; the image's id. Podman tags the image only
    when the whole build succeeded, so a failure leaves no tag behind."""
    pull = "never" if built_here(base) else "missing"
    # docker format: OCI images have no HEALTHCHECK
    command = [podman(), "build", "--format", "docker", "--layers", f"--pull={pull}",
               "--build-arg", f"BASE={base}", "--file", str(context / CONTAINERFILE),
               "--iidfile", str(context / "image.id")] + (["--no-cache"] if no_cache else [])
    for key, value in image.labels().items():
        command += ["--label", f"{key}={value}"]
    for tag in image.tags:
        command += ["--tag", tag]
    _run([*command, str(context)], f"podman build of {image.tags[0]}")
    return (context / "image.id").read_text().strip()


def size_of(image_id: str) -> int:
    """The image's size in bytes, as podman counts it."""
    out = subprocess.run([podman(), "image", "inspect", "--format", "{{.Size}}", image_id],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def _run(command: list[str], what: str) -> None:
    """Run ``command`` with its output on this terminal; a :class:`DataError` saying ``what``
    failed."""
    log.info("%s", what)
    done = subprocess.run(command)
    if done.returncode != 0:
        raise DataError(f"{what} failed (exit {done.returncode}; its output is above)")
