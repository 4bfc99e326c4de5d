"""``dlpipe manifest``: a KServe InferenceService or a Deployment and a Service for the image,
from params, each checked offline against its schema; a manifest that breaks a schema is
named with its path."""

from __future__ import annotations

import pytest
import yaml

from dlpipe.cli import main
from dlpipe.deploy.manifests import manifests
from dlpipe.deploy.schemas import validate
from dlpipe.errors import DataError
from dlpipe.params import ContainerParams
from support import repo_params

RAW = repo_params()


def settings(**kubernetes) -> ContainerParams:
    return ContainerParams(**{**RAW["container"],
                              "kubernetes": {**RAW["container"]["kubernetes"], **kubernetes}})


@pytest.mark.parametrize("kind", ["kserve", "deployment"])
def test_both_kinds_pass_their_schemas_and_carry_the_params(kind):
    objects = manifests(kind, "registry.example/dlpipe:abc", ["iris"], 9000,
                        settings(replicas=3, cpu="500m", memory="1Gi", namespace="ml"),
                        "abc", {"iris": "sha256:00ff"})
    validate(objects)
    container = (objects[0]["spec"]["predictor"]["containers"][0] if kind == "kserve" else
                 objects[0]["spec"]["template"]["spec"]["containers"][0])
    assert container["image"] == "registry.example/dlpipe:abc"
    assert container["args"] == ["serve", "--host", "0.0.0.0", "--port", "9000", "iris"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 9000}
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert container["securityContext"]["runAsUser"] == 1000  # the image's dlpipe user
    assert all(o["metadata"]["namespace"] == "ml" for o in objects)
    assert objects[0]["metadata"]["annotations"] == {"dlpipe.io/bundle.iris": "sha256:00ff"}
    if kind == "kserve":
        assert [o["kind"] for o in objects] == ["InferenceService"]
        assert container["name"] == "kserve-container"
        assert objects[0]["spec"]["predictor"]["minReplicas"] == 3
    else:
        assert [o["kind"] for o in objects] == ["Deployment", "Service"]
        assert objects[0]["spec"]["replicas"] == 3
        assert objects[1]["spec"]["ports"][0]["port"] == 9000
        # the Service selects the Deployment's pods
        assert objects[1]["spec"]["selector"].items() <= \
            objects[0]["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("kind, path, breaking, message", [
    ("deployment", ("spec", "replicas"), "two", "spec.replicas: 'two' is not of type"),
    ("deployment", ("spec", "template", "spec", "containers", 0, "imagePullPolicyy"), "Always",
     "spec.template.spec.containers.0: Additional properties are not allowed"),
    ("kserve", ("spec", "predictor", "containers", 0, "ports", 0, "containerPort"), "http",
     "spec.predictor.containers.0.ports.0.containerPort: 'http' is not of type 'integer'"),
    ("kserve", ("spec", "predictor", "minReplicas"), -1,
     "spec.predictor.minReplicas: -1 is less than the minimum of 0"),
    ("kserve", ("spec", "predictr"), {}, "spec: Additional properties are not allowed"),
])
def test_a_manifest_that_breaks_its_schema_is_named_with_the_path(kind, path, breaking, message):
    objects = manifests(kind, "dlpipe:abc", [], 8080, settings(), "abc", {})
    node = objects[0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = breaking
    with pytest.raises(DataError) as caught:
        validate(objects)
    assert message in str(caught.value) and "Kubernetes 1." in str(caught.value)


def test_the_command_writes_checked_yaml(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(RAW))
    out = tmp_path / "k8s.yaml"
    assert main(["manifest", "--kind", "deployment", "--image", "dlpipe:1", "--output", str(out),
                 "--root", str(tmp_path), "--params", str(tmp_path / "params.yaml")]) == 0
    assert capsys.readouterr().err.strip() == f"wrote {out}: Deployment, Service"
    objects = list(yaml.safe_load_all(out.read_text()))
    assert [o["kind"] for o in objects] == ["Deployment", "Service"]
    assert out.read_text().startswith("# dlpipe manifest --kind deployment: checked against")
    validate(objects)


def test_the_command_refuses_a_project_without_a_bundle(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(RAW))
    assert main(["manifest", "koala", "--root", str(tmp_path), "--params",
                 str(tmp_path / "params.yaml")]) == 2
    assert "project 'koala' has no bundle" in capsys.readouterr().err
