#!/usr/bin/env bash
# ci/cluster/stop-slurm.sh - stop the daemons that ci/cluster/start-slurm.sh
# started, and only those.
#
# start-slurm.sh records "<pid> <binary> <starttime>" for each daemon it starts
# in /run/dlpipe-slurm/<daemon>.pid. This script signals exactly those pids,
# after checking that each is still a live (non-zombie) process of that binary
# with that start time, so a reused pid is never signalled. It never kills by
# name; daemons that were running before start-slurm.sh are left alone.
# Jobs still queued or running are cancelled first (only if we own slurmctld).
# Configs, spool and the accounting database are kept.
#
# Exit status: 0 stopped (or nothing to stop), 1 a recorded daemon could not
# be stopped, 3 not root.
set -uo pipefail

RUN_DIR=/run/dlpipe-slurm
log() { printf '[stop-slurm] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "stop-slurm: unsupported environment: not running as root (uid $(id -u))" >&2
    exit 3
fi

stat_field() {  # stat_field <pid> <n>: field n (n >= 3) of /proc/<pid>/stat
    local rest
    rest=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    rest=${rest##*) }
    awk -v n="$(($2 - 2))" '{ print $n }' <<<"$rest"
}

# is_recorded <pid> <binary> <starttime>: that very process, alive and not a
# zombie (PID 1 here reaps orphans late; `kill -0` succeeds on a zombie)
is_recorded() {
    local state
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    state=$(stat_field "$1" 3) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] || return 1
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ] || return 1
    [ -z "$3" ] || [ "$(stat_field "$1" 22)" = "$3" ]
}

own_pidfile() {
    case "$1" in
        munged)    echo /run/munge/munged.pid ;;
        mariadbd)  echo /run/mysqld/mysqld.pid ;;
        slurmdbd)  echo /run/slurmdbd.pid ;;
        slurmctld) echo /run/slurmctld.pid ;;
        slurmd)    echo /run/slurmd.pid ;;
    esac
}
# Remove the daemon's own pid file if it still names <pid>: a stale
# /run/slurmctld.pid makes `apt-get remove slurmctld` fail in its prerm.
clear_own_pidfile() {
    local f
    f=$(own_pidfile "$1")
    if [ -f "$f" ] && [ "$(tr -dc '0-9' < "$f")" = "$2" ]; then rm -f "$f"; fi
}

if [ -z "$(ls -A "$RUN_DIR" 2>/dev/null)" ]; then
    log "nothing to stop: no daemon recorded in $RUN_DIR"
    exit 0
fi

# Cancel leftover jobs first, so no slurmstepd outlives slurmd.
if [ -s "$RUN_DIR/slurmctld.pid" ]; then
    read -r pid bin start < "$RUN_DIR/slurmctld.pid"
    if is_recorded "$pid" "$bin" "${start:-}"; then
        jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | tr '\n' ' ')
        if [ -n "${jobs// /}" ]; then
            log "cancelling jobs: $jobs"
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            deadline=$((SECONDS + 20))
            while [ -n "$(timeout 5 squeue -h -o %A 2>/dev/null)" ] && [ "$SECONDS" -lt "$deadline" ]; do
                sleep 0.5
            done
        fi
    fi
fi

rc=0
for name in slurmd slurmctld slurmdbd mariadbd munged; do   # reverse start order
    rec="$RUN_DIR/$name.pid"
    [ -s "$rec" ] || continue
    read -r pid bin start < "$rec"
    start=${start:-}
    if ! is_recorded "$pid" "$bin" "$start"; then
        log "$name (pid $pid) was no longer running"
        clear_own_pidfile "$name" "$pid"
        rm -f "$rec"
        continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 30))
    while is_recorded "$pid" "$bin" "$start" && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.1
    done
    if is_recorded "$pid" "$bin" "$start"; then
        log "$name (pid $pid) ignored SIGTERM for 30s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    if is_recorded "$pid" "$bin" "$start"; then
        log "ERROR: could not stop $name (pid $pid)"
        rc=1
    else
        log "$name (pid $pid) stopped"
        clear_own_pidfile "$name" "$pid"
        rm -f "$rec"
    fi
done
rmdir "$RUN_DIR" 2>/dev/null || true
exit "$rc"
