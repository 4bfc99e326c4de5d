"""dlpipe in a container and on a cluster: the image ``make image`` builds (:mod:`.image` plans
and stages it, :mod:`.podman` builds it) and the Kubernetes manifests ``dlpipe manifest``
writes for it (:mod:`.manifests`, checked against their schemas by :mod:`.schemas`)."""
