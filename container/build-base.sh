#!/usr/bin/env bash
# container/build-base.sh TAG - build the image's base from Debian's packages: a bookworm root
# file system (debootstrap, variant minbase) with Python 3.11 and venv, imported into podman as
# TAG. For machines that reach Debian's mirror but no container registry; where a registry can
# be reached, python:3.11-slim serves the same Containerfile.
#
# Nothing is tagged unless the whole file system was built. Exit status: 0 built; 1 failed
# (debootstrap's log tail printed); 2 usage.
set -Eeuo pipefail

TAG=${1:?usage: container/build-base.sh TAG}
SUITE=bookworm                     # Debian 12: its python3 is 3.11, the version the lock is for
MIRROR=${DLPIPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-venv,ca-certificates

command -v debootstrap >/dev/null || { echo "build-base: debootstrap is not installed (container/setup-podman.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/root" "$MIRROR" \
        > "$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    echo "build-base: debootstrap $SUITE from $MIRROR failed" >&2
    exit 1
fi
# what a container never needs: apt's lists and caches, documentation, the build's logs
rm -rf "$work/root"/var/lib/apt/lists/* "$work/root"/var/cache/apt/*.bin \
       "$work/root"/var/cache/apt/archives/*.deb "$work/root"/usr/share/doc/* \
       "$work/root"/usr/share/man/* "$work/root"/var/log/*.log "$work/root"/debootstrap
tar --numeric-owner -C "$work/root" -c . \
    | podman import --change 'CMD ["/bin/bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase with python3 and python3-venv (debootstrap)\"" \
        --quiet - "$TAG" >/dev/null
python=$(podman run --rm --network none "$TAG" python3 --version)
echo "build-base: $TAG ($SUITE, $python)"
