"""The ``container:`` section of params.yaml: the image ``make image`` builds and the Kubernetes
manifests ``dlpipe manifest`` writes for it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from dlpipe.params.base import PosInt, Strict

# an image reference without tag or digest: [registry[:port]/]path, lower case
ImageName = Annotated[str, Field(pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?"
                                         r"(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]
ImageRef = Annotated[str, Field(pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?"
                                        r"(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$")]
# Kubernetes quantities: cpu "500m" or "2", memory "512Mi" or "2Gi"
Cpu = Annotated[str, Field(pattern=r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$")]
Memory = Annotated[str, Field(pattern=r"^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$")]
DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


def _each_once(backends: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(backends)) < len(backends):
        raise ValueError(f"expected each backend once, got {list(backends)}")
    return backends


# Keras' backends beside TensorFlow, each at most once
ExtraBackends = Annotated[tuple[Literal["jax", "torch"], ...], AfterValidator(_each_once)]


class KubernetesParams(Strict):
    """What ``dlpipe manifest`` asks of the cluster for each served project."""

    namespace: DnsLabel
    replicas: PosInt  # the Deployment's pods (KServe: its minimum replicas)
    cpu: Cpu  # requested and the limit: a pod is never throttled below what it asked
    memory: Memory  # requested and the limit


class ContainerParams(Strict):
    """The image of dlpipe (the locked packages, the ``dlpipe`` command, bundles copied in or
    mounted at run) and where it runs."""

    name: ImageName  # tagged with the git revision (and latest) by make image
    base: ImageRef  # FROM: Python 3.11 with venv; the local dlpipe-base is built from Debian's
    # packages when it is absent (container/build-base.sh)
    # the Keras backends the image carries beside TensorFlow, for networks trained inside it:
    # serving loads every network with TensorFlow, whatever backend trained it
    backends: ExtraBackends
    kubernetes: KubernetesParams
