#!/usr/bin/env bash
# Installs the system programs kpatch's tests use: the Go toolchain (go, gofmt),
# podman with the runc runtime (the container build path), git, make and
# Debian's docker-registry (a loopback registry for the image tests).
# Debian/Ubuntu only; needs root or sudo. Does nothing when all are present.
set -euo pipefail
need=()
command -v go >/dev/null || need+=(golang-go)
command -v gofmt >/dev/null || need+=(golang-go)
command -v podman >/dev/null || need+=(podman)
[ -x /usr/sbin/runc ] || command -v runc >/dev/null || need+=(runc)
command -v git >/dev/null || need+=(git)
command -v make >/dev/null || need+=(make)
# The reliability tests (test/reliability/): chattr +i for a read-only target file,
# mount for read-only and full tmpfs folders.
command -v chattr >/dev/null || need+=(e2fsprogs)
command -v mount >/dev/null || need+=(mount)
# A real image registry on 127.0.0.1 for the image fallback tests (test/helpers/loopbackRegistry.ts).
command -v docker-registry >/dev/null || need+=(docker-registry)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2068
$sudo apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
