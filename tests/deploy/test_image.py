"""What ``dlpipe image`` puts in the image before podman is called: the bundles named (verified,
their digests as labels), the revision, and the build context; a project with no bundle or
no podman is one line and builds nothing."""

from __future__ import annotations

import subprocess

import pytest

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
