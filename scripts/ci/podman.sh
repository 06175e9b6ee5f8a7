#!/usr/bin/env bash
# Runs podman the way it works on this machine: with the runc runtime
# (crun is missing or fails here) and CONTAINERS_CONF pointing at
# scripts/ci/containers.conf (default_ulimits = [], without which runc fails
# with "error setting rlimit type 7: operation not permitted").
#
# Usage: scripts/ci/podman.sh <podman arguments...>
#   e.g. scripts/ci/podman.sh run --rm --network none localhost/kpatch/kube-cross:local go version
# PODMAN_RUNTIME overrides the runtime path (default /usr/sbin/runc).

set -o errexit
set -o nounset
set -o pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
export CONTAINERS_CONF="${SCRIPT_DIR}/containers.conf"
exec podman --runtime "${PODMAN_RUNTIME:-/usr/sbin/runc}" "$@"
