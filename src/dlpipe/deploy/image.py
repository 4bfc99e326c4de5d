"""What goes into the image and how it is named: the bundles named at build (each verified
against its manifest, its content digest a label), the git revision, and the build context
staged from them (the Containerfile, the locked wheels, params.yaml and the bundles)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dlpipe import io
from dlpipe.bundle.inference import BUNDLE_DIR
from dlpipe.errors import DataError, ParamsError
from dlpipe.insight.drift import REFERENCE_DIR
from dlpipe.params import ContainerParams, Params
from dlpipe.pipeline.job_client import backends_named

LOCK = "requirements.lock"
CONTAINERFILE = "Containerfile"
HEALTHCHECK = "container/healthcheck.py"
LABEL_PREFIX = "io.dlpipe"


@dataclass(frozen=True)
class ImagePlan:
    """An image to build: its tags, its labels, and the directories copied into /srv/dlpipe."""

    name: str
    revision: str  # the commit the image is built from, "-dirty" if the tree has changes
    bundles: dict[str, str]  # project -> sha256 of its bundle's manifest (the content digest)
    copied: tuple[str, ...]  # paths relative to the repository, copied under /srv/dlpipe
    backends: tuple[str, ...]  # Keras' backends installed: TensorFlow and container.backends

    @property
    def tags(self) -> tuple[str, str]:
        return f"{self.name}:{self.revision}", f"{self.name}:latest"

    def digests(self) -> dict[str, str]:
        """Each bundle's content digest as labels and annotations spell it: ``sha256:<hex>``."""
        return {project: f"sha256:{digest}" for project, digest in self.bundles.items()}

    def labels(self) -> dict[str, str]:
        out = {"org.opencontainers.image.title": "dlpipe",
               "org.opencontainers.image.revision": self.revision,
               f"{LABEL_PREFIX}.bundles": " ".join(self.bundles) or "(none: mount a working copy "
                                                                     "at /srv/dlpipe)",
               f"{LABEL_PREFIX}.backends": " ".join(self.backends)}
        out.update({f"{LABEL_PREFIX}.bundle.{p}": d for p, d in self.digests().items()})
        return out


def plan(projects: list[str], params: ContainerParams, root: Path) -> ImagePlan:
    """The image of ``projects``' bundles under ``root``; a :class:`DataError` naming the stage
    to run for a project with no bundle (or a bundle that fails its manifest)."""
    bundles, copied = {}, []
    for project in dict.fromkeys(projects):
        where = root / BUNDLE_DIR.format(project=project)
        remedy = f"run its select stage (`python -m dlpipe select {project}`, or `make run`)"
        if not where.is_dir():
            raise DataError(f"{where}: project {project!r} has no bundle: {remedy}")
        io.verify_manifest(where, remedy)
        bundles[project] = io.file_sha256(where / io.MANIFEST)
        copied.append(BUNDLE_DIR.format(project=project))
        if (root / REFERENCE_DIR.format(project=project)).is_dir():
            copied.append(REFERENCE_DIR.format(project=project))
    return ImagePlan(params.name, revision(root), bundles, tuple(copied), carried(params))


def carried(params: ContainerParams) -> tuple[str, ...]:
    """The Keras backends the image installs: TensorFlow, which serves every network whatever
    trained it, and those ``container.backends`` names for training inside."""
    return ("tensorflow", *params.backends)


def refuse_uncarried_backends(params: Params) -> None:
    """A :class:`ParamsError` naming the first project section whose networks train on a Keras
    backend the image would not carry: the image loads the same params.yaml, and its load
    refuses a backend that is not installed."""
    installed = set(carried(params.container))
    for project, section in params.project_params.items():
        uncarried = sorted(backends_named(section.model_dump()) - installed)
        if uncarried:
            raise ParamsError(f"{params.source}: container.backends: expected every Keras "
                              f"backend the projects train on ({project} names "
                              f"{', '.join(uncarried)}), got {list(params.container.backends)}")


def revision(root: Path) -> str:
    """The short commit of ``root``'s checkout, with ``-dirty`` for uncommitted changes to
    tracked files; ``unversioned`` outside git."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)

    head = git("rev-parse", "--short=12", "HEAD")
    if head.returncode != 0:
        return "unversioned"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def stage_context(image: ImagePlan, root: Path, wheels: Path, params_file: Path,
                  context: Path) -> None:
    """Fill the empty directory ``context`` with what the Containerfile reads: itself, the
    health check, ``wheels/`` (hard links where the file system allows), and ``srv/``
    (params.yaml and the planned bundles)."""
    shutil.copy2(root / CONTAINERFILE, context / CONTAINERFILE)
    shutil.copy2(root / HEALTHCHECK, context / Path(HEALTHCHECK).name)
    shutil.copytree(wheels, context / "wheels", copy_function=_link_or_copy)
    srv = context / "srv"
    srv.mkdir()
    shutil.copy2(params_file, srv / "params.yaml")
    for path in image.copied:
        shutil.copytree(root / path, srv / path,
                        ignore=shutil.ignore_patterns(".snakemake_timestamp"))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
