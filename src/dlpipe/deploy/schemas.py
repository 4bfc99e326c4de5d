"""The manifests checked offline against their schemas: Deployment and Service against the
Kubernetes API's own (strict: an unknown field fails), from kubernetes-validate's copy; the
InferenceService against the fields of KServe's ``serving.kserve.io/v1beta1`` API that dlpipe
writes, its metadata and container against the Kubernetes definitions they are made of."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

from dlpipe.errors import DataError

DEFINITIONS = "/api/_definitions.json#/$defs/"
# KServe's v1beta1 InferenceService, as far as dlpipe writes it: a predictor of custom
# containers (KServe's CRD embeds the Kubernetes Container for them) and its replica bounds
INFERENCE_SERVICE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://kubernetes.io/api/inferenceservice-serving-v1beta1.json",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1beta1"},
        "kind": {"const": "InferenceService"},
        "metadata": {"$ref": DEFINITIONS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
        "spec": {
            "type": "object", "required": ["predictor"], "additionalProperties": False,
            "properties": {"predictor": {
                "type": "object", "required": ["containers"], "additionalProperties": False,
                "properties": {
                    "minReplicas": {"type": "integer", "minimum": 0},
                    "maxReplicas": {"type": "integer", "minimum": 0},
                    "containers": {"type": "array", "minItems": 1,
                                   "items": {"$ref": DEFINITIONS + "io.k8s.api.core.v1.Container"}},
                }}},
        },
    },
}


def kubernetes_version() -> str:
    """The newest Kubernetes release whose schemas are installed, the one checked against."""
    return kubernetes_validate.utils.latest_version()


def validate(objects: list[dict]) -> None:
    """Check every object against its schema; a :class:`DataError` naming the object, the path
    and what is wrong."""
    version = kubernetes_version()
    for item in objects:
        where = f"{item.get('kind')}/{item.get('metadata', {}).get('name')}"
        try:
            if item.get("kind") == "InferenceService":
                _validate_inference_service(item, version)
            else:
                kubernetes_validate.validate(item, version, strict=True)
        except jsonschema.ValidationError as exc:
            path = ".".join(str(p) for p in exc.absolute_path) or "(top)"
            raise DataError(f"{where}: {path}: {exc.message} (Kubernetes {version} schema)") from None


def _validate_inference_service(item: dict, version: str) -> None:
    definitions = schema_contents(f"kubernetes-json-schema/v{version}-local-strict/"
                                  "_definitions.json", version)
    registry = Resource.from_contents(definitions) @ Registry()
    jsonschema.Draft202012Validator(INFERENCE_SERVICE, registry=registry).validate(item)
