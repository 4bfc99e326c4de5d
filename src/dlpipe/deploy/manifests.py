"""Kubernetes manifests for the image, from params: a KServe ``InferenceService`` whose
predictor is the image as a custom container speaking the Open Inference Protocol, or a plain
``Deployment`` and ``Service``. Both run ``dlpipe serve`` as the image's non-root user and ask
the cluster for ``container.kubernetes``' cpu and memory (requests equal to limits)."""

from __future__ import annotations

from dlpipe.params import ContainerParams

APP = "dlpipe"
CONTAINER = "kserve-container"  # the name KServe gives a custom predictor's container
USER_ID = 1000  # the image's dlpipe user (Containerfile)
KINDS = ("kserve", "deployment")


def container(name: str, image: str, projects: list[str], port: int,
              params: ContainerParams) -> dict:
    """The serving container: ``dlpipe serve`` on ``port`` (every bundle in the image when no
    project is named), probed on the V2 health routes."""
    resources = {"cpu": params.kubernetes.cpu, "memory": params.kubernetes.memory}
    return {
        "name": name,
        "image": image,
        "args": ["serve", "--host", "0.0.0.0", "--port", str(port), *projects],
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "readinessProbe": _probe("/v2/health/ready", port, period=5),
        "livenessProbe": _probe("/v2/health/live", port, period=20),
        "resources": {"requests": dict(resources), "limits": dict(resources)},
        "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID,
                            "allowPrivilegeEscalation": False},
    }


def _probe(path: str, port: int, period: int) -> dict:
    return {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": 2,
            "periodSeconds": period, "failureThreshold": 3}


def selector(name: str) -> dict:
    """The labels that pick the pods of ``name`` (the Deployment's and the Service's)."""
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/instance": name}


def metadata(name: str, params: ContainerParams, revision: str, bundles: dict) -> dict:
    """Name, namespace, the recommended labels and the bundles' digests as annotations."""
    return {"name": name, "namespace": params.kubernetes.namespace,
            "labels": {**selector(name), "app.kubernetes.io/version": revision[:63]},
            "annotations": {f"dlpipe.io/bundle.{p}": d for p, d in bundles.items()}}


def inference_service(serving: dict, meta: dict, params: ContainerParams) -> dict:
    """KServe's ``InferenceService`` with the image as its predictor's custom container."""
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": meta,
            "spec": {"predictor": {"minReplicas": params.kubernetes.replicas,
                                   "containers": [serving]}}}


def deployment(serving: dict, meta: dict, params: ContainerParams) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": params.kubernetes.replicas,
                     "selector": {"matchLabels": selector(meta["name"])},
                     "template": {"metadata": {"labels": dict(meta["labels"])},
                                  "spec": {"containers": [serving]}}}}


def service(port: int, meta: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"type": "ClusterIP", "selector": selector(meta["name"]),
                     "ports": [{"name": "http", "port": port, "targetPort": "http",
                                "protocol": "TCP"}]}}


def manifests(kind: str, image: str, projects: list[str], port: int, params: ContainerParams,
              revision: str, bundles: dict) -> list[dict]:
    """The objects of ``kind`` (one of :data:`KINDS`) serving ``projects`` from ``image``."""
    meta = metadata(APP, params, revision, bundles)
    if kind == "kserve":
        return [inference_service(container(CONTAINER, image, projects, port, params), meta,
                                  params)]
    serving = container(APP, image, projects, port, params)
    return [deployment(serving, meta, params), service(port, meta)]
