"""What ``dlpipe image`` puts in the image before podman is called: the bundles named (verified,
their digests as labels), the revision, and the build context; a project with no bundle or
no podman is one line and builds nothing."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest
from packaging.utils import canonicalize_name

from dlpipe import io
from dlpipe.cli import main
from dlpipe.deploy import podman
from dlpipe.deploy.image import plan, refuse_uncarried_backends, revision, stage_context
from dlpipe.errors import DataError, ParamsError
from dlpipe.params import ContainerParams, parse_params
from support import ROOT, repo_params

SETTINGS = ContainerParams(**repo_params()["container"])


def bundle(root, project: str, reference: bool = True) -> str:
    """A bundle directory of ``project`` with its manifest (and a drift reference); the
    manifest's sha256."""
    for name in [project] + ([f"{project}-reference"] if reference else []):
        where = root / "models" / name
        where.mkdir(parents=True)
        (where / "schema.json").write_text(f'{{"project": "{name}"}}')
        (where / ".snakemake_timestamp").write_text("")
        io.write_manifest(where)
    return io.file_sha256(root / "models" / project / io.MANIFEST)


def test_the_plan_copies_each_bundle_and_its_reference_and_labels_their_digests(tmp_path):
    iris, price = bundle(tmp_path, "iris"), bundle(tmp_path, "price", reference=False)
    image = plan(["iris", "price", "iris"], SETTINGS, tmp_path)
    assert image.copied == ("models/iris", "models/iris-reference", "models/price")
    assert image.bundles == {"iris": iris, "price": price}
    labels = image.labels()
    assert labels["io.dlpipe.bundle.iris"] == f"sha256:{iris}"
    assert labels["io.dlpipe.bundles"] == "iris price"
    assert labels["io.dlpipe.backends"] == "tensorflow jax torch"  # params.yaml's backends
    assert labels["org.opencontainers.image.revision"] == "unversioned"  # not a git checkout
    assert image.tags == ("localhost/dlpipe:unversioned", "localhost/dlpipe:latest")


def test_an_image_without_bundles_says_to_mount_them(tmp_path):
    image = plan([], SETTINGS, tmp_path)
    assert image.copied == () and "mount a working copy" in image.labels()["io.dlpipe.bundles"]


def test_a_project_without_a_bundle_names_the_stage_to_run(tmp_path):
    with pytest.raises(DataError) as caught:
        plan(["koala"], SETTINGS, tmp_path)
    assert str(caught.value) == (f"{tmp_path}/models/koala: project 'koala' has no bundle: run "
                                 "its select stage (`python -m dlpipe select koala`, or `make run`)")


def test_a_bundle_that_fails_its_manifest_is_refused(tmp_path):
    bundle(tmp_path, "iris")
    (tmp_path / "models/iris/schema.json").write_text("{}")
    with pytest.raises(DataError, match="schema.json"):
        plan(["iris"], SETTINGS, tmp_path)


def test_the_revision_is_the_commit_and_says_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    assert revision(tmp_path) == head
    (tmp_path / "untracked.txt").write_text("u")  # untracked files do not make it dirty
    assert revision(tmp_path) == head
    (tmp_path / "a.txt").write_text("b")
    assert revision(tmp_path) == f"{head}-dirty"


def test_the_context_holds_what_the_containerfile_reads(tmp_path):
    root = tmp_path / "repo"
    (root / "container").mkdir(parents=True)
    for name in ("Containerfile", "container/healthcheck.py"):
        (root / name).write_text((ROOT / name).read_text())
    bundle(root, "iris")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "a-1-py3-none-any.whl").write_bytes(b"wheel")
    params = tmp_path / "custom.yaml"
    params.write_text("seed: 1\n")
    context = tmp_path / "context"
    context.mkdir()
    stage_context(plan(["iris"], SETTINGS, root), root, wheels, params, context)
    files = sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())
    assert files == ["Containerfile", "healthcheck.py", "srv/models/iris-reference/.manifest.json",
                     "srv/models/iris-reference/schema.json", "srv/models/iris/.manifest.json",
                     "srv/models/iris/schema.json", "srv/params.yaml",
                     "wheels/a-1-py3-none-any.whl"]
    assert (context / "srv/params.yaml").read_text() == "seed: 1\n"
    # the wheels are linked, not copied: gigabytes cost nothing to stage
    assert (context / "wheels/a-1-py3-none-any.whl").stat().st_ino == \
        (wheels / "a-1-py3-none-any.whl").stat().st_ino


def test_no_podman_is_one_line_naming_the_script(monkeypatch):
    monkeypatch.setattr(podman.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match=r"podman is not installed: `bash container/setup-podman.sh`"):
        podman.podman()


def test_the_command_refuses_a_missing_bundle_before_looking_for_podman(tmp_path, monkeypatch,
                                                                          capsys):
    import yaml

    (tmp_path / "params.yaml").write_text(yaml.safe_dump(repo_params()))
    monkeypatch.setattr(podman, "podman", lambda: pytest.fail("podman looked up"))
    assert main(["image", "iris", "--root", str(tmp_path), "--params",
                 str(tmp_path / "params.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "project 'iris' has no bundle" in err


def test_the_command_refuses_an_uncarried_backend_before_looking_for_podman(tmp_path, monkeypatch,
                                                                           capsys):
    import yaml

    raw = repo_params()
    raw["container"]["backends"] = []
    raw["iris"].setdefault("model", {})["backend"] = "torch"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    bundle(tmp_path, "iris")
    monkeypatch.setattr(podman, "podman", lambda: pytest.fail("podman looked up"))
    assert main(["image", "iris", "--root", str(tmp_path), "--params",
                 str(tmp_path / "params.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "container.backends: expected every Keras backend the projects train on (iris " \
           "names torch), got []" in err


def test_only_the_pins_with_no_wheel_of_their_version_are_gathered(tmp_path):
    """pip runs for the pins the wheel directory lacks: a wheel names its project with ``_``
    where the lock has ``-`` (or another case), and a wheel of another version does not count."""
    for name in ("tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
                 "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
                 "PyYAML-6.0.3-cp311-cp311-manylinux2014_x86_64.whl", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    pins = ["tensorflow-cpu==2.21.0", "torch==2.13.0+cpu", "pyyaml==6.0.4", "ruamel.yaml==0.19.1"]
    assert podman.missing_wheels(pins, tmp_path) == ["pyyaml==6.0.4", "ruamel.yaml==0.19.1"]
    assert podman.missing_wheels(pins[:2], tmp_path) == []


def test_dlpipe_s_wheel_holds_the_source_as_it_is_and_leaves_no_build_behind(tmp_path,
                                                                          monkeypatch):
    """The wheel is built from a copy of the source: no ``build/`` is left in the working copy,
    and a module an earlier build left there (deleted from the source since) is not in it."""
    root = tmp_path / "repo"
    for name in ("pyproject.toml", "README.md", "requirements.lock"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    stale = root / "build/lib/dlpipe/deleted_since.py"  # left by a build in the working copy
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    monkeypatch.setattr(podman, "missing_wheels", lambda pins, cache: [])  # the lock's: held
    cache = podman.gather_wheels(root, tmp_path / "wheels", ())
    wheel, = cache.glob("dlpipe-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "dlpipe/deploy/podman.py" in names and "dlpipe/deleted_since.py" not in names
    assert sorted(p.name for p in (root / "build").rglob("*") if p.is_file()) == [
        "deleted_since.py"]  # only what was there before


def test_the_wheels_gathered_are_those_the_image_installs():
    """What installing the runtime requirements of the image's backends takes, followed through
    the installed packages' metadata, and the installer: never the tests', the docs' or a
    backend's the image leaves out."""
    pins = (ROOT / "requirements.lock").read_text().split()

    def names(backends):
        wanted = [*podman.runtime_requirements(ROOT, backends), *podman.installer(ROOT)]
        return {canonicalize_name(pin.split("==")[0]) for pin in podman.needed_pins(pins, wanted)}

    jax, both = names(("jax",)), names(("jax", "torch"))
    assert {"tensorflow-cpu", "keras", "jax", "jaxlib", "numpy", "ml-dtypes", "uv"} <= jax
    assert not {"torch", "pytest", "hypothesis", "mkdocs", "mkdocs-material"} & jax
    assert both - jax >= {"torch"} and not jax - both
    assert len(both) < len(pins)


def test_an_extra_asked_brings_its_own_requirements():
    """A requirement's extra (tritonclient[http]) adds what that extra requires; the same
    package without it does not."""
    pins = (ROOT / "requirements.lock").read_text().split()
    plain = podman.needed_pins(pins, ["tritonclient"])
    http = podman.needed_pins(pins, ["tritonclient[http]"])
    assert not any(pin.startswith("geventhttpclient==") for pin in plain)
    assert any(pin.startswith("geventhttpclient==") for pin in http)


def test_a_requirement_not_installed_here_gathers_the_whole_lock():
    pins = ["numpy==2.4.6", "no-such-package==1.0"]
    assert podman.needed_pins(pins, ["no-such-package"]) == pins


@pytest.mark.parametrize("backends, extras", [((), []), (("torch",), ["torch"]),
                                              (("jax", "torch"), ["jax", "torch"])])
def test_the_image_installs_the_extras_of_its_backends_only(backends, extras):
    """dlpipe's dependencies always (TensorFlow among them: serving loads every network with
    it), the extra of each backend named, never the tests' or docs' extras."""
    project = podman.tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"],
              *(r for name in extras for r in project["optional-dependencies"][name])]
    assert podman.runtime_requirements(ROOT, backends) == wanted
    assert any(r.startswith("tensorflow") for r in wanted)
    assert not any(r.startswith(("pytest", "mkdocs")) for r in wanted)


def test_a_project_training_on_a_backend_the_image_lacks_is_refused(raw_params):
    raw_params["container"]["backends"] = ["torch"]
    refuse_uncarried_backends(parse_params(raw_params, source="p.yaml"))  # all on TensorFlow
    raw_params["price"].setdefault("model", {})["backend"] = "jax"
    with pytest.raises(ParamsError) as caught:
        refuse_uncarried_backends(parse_params(raw_params, source="p.yaml"))
    assert str(caught.value) == ("p.yaml: container.backends: expected every Keras backend the "
                                 "projects train on (price names jax), got ['torch']")


@pytest.mark.parametrize("backends, problem", [(["jax", "jax"], "each backend once"),
                                               (["tensorflow"], "'jax' or 'torch'")])
def test_the_image_backends_are_validated(raw_params, backends, problem):
    raw_params["container"]["backends"] = backends
    with pytest.raises(ParamsError, match=f"p.yaml: container.backends.*{problem}"):
        parse_params(raw_params, source="p.yaml")
