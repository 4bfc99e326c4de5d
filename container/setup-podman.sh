#!/usr/bin/env bash
# container/setup-podman.sh - make podman usable for `make image` and the image's tests.
#
# Installs podman, runc and debootstrap from Debian's packages when podman is missing (as root,
# with apt-get), then starts a throwaway container. Where the default runtime cannot start one
# (crun cannot set rlimits in some sandboxes, and a hybrid cgroup layout trips it), it writes
# /etc/containers/containers.conf.d/50-dlpipe.conf: runc as the runtime and no default ulimits,
# and tries again.
#
# Exit status: 0 podman runs containers; 1 it failed (podman's words printed); 3 podman cannot
# be had here (not installed and not root or no apt-get): one line
# "setup-podman: unsupported environment: <reason>" on stderr, which test suites skip on.
set -Eeuo pipefail

DROP_IN=/etc/containers/containers.conf.d/50-dlpipe.conf

unsupported() { printf 'setup-podman: unsupported environment: %s\n' "$*" >&2; exit 3; }

if ! command -v podman >/dev/null; then
    [ "$(id -u)" = 0 ] || unsupported "podman is not installed and installing it needs root"
    command -v apt-get >/dev/null || unsupported "podman is not installed and there is no apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || unsupported "apt-get update failed (no package mirror?)"
    apt-get install -y -qq podman runc debootstrap >/dev/null \
        || unsupported "apt-get install podman runc debootstrap failed"
fi
if ! command -v debootstrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null || true
fi

# a throwaway container whose root file system is /bin/true and the libraries it loads: a
# real start through the runtime, with no image to pull or build
probe() {
    local root status
    root=$(mktemp -d)
    for file in /bin/true $(ldd /bin/true | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$file")" && cp -L "$file" "$root$file"
    done
    status=0
    podman run --rm --network none --rootfs "$root" /bin/true || status=$?
    rm -rf "$root"
    return $status
}

if out=$(probe 2>&1); then
    exit 0
fi
if [ -f "$DROP_IN" ]; then
    printf 'setup-podman: podman cannot start a container even with %s:\n%s\n' "$DROP_IN" "$out" >&2
    exit 1
fi
case "$out" in
    *rlimit*|*crun*|*cgroup*|*OCI*) ;;
    *) printf 'setup-podman: podman cannot start a container:\n%s\n' "$out" >&2; exit 1 ;;
esac
command -v runc >/dev/null || {
    [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
} || unsupported "podman's runtime fails ($out) and runc cannot be installed"
mkdir -p "$(dirname "$DROP_IN")"
cat > "$DROP_IN" <<'CONF'
# written by dlpipe's container/setup-podman.sh: the default runtime (crun) cannot set rlimits
# on this machine, so containers start with runc and without default ulimits
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
if out=$(probe 2>&1); then
    echo "setup-podman: wrote $DROP_IN (runc, no default ulimits)"
    exit 0
fi
printf 'setup-podman: podman cannot start a container with %s either:\n%s\n' "$DROP_IN" "$out" >&2
exit 1
