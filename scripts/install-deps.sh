#!/usr/bin/env bash
# Installs the system programs kpatch's tests use: the Go toolchain (go, gofmt),
# podman with the runc runtime (the container build path), git and make,
# what the local runner's builds run (rsync, gcc with libc6-dev, diffutils),
# Debian's docker-registry (a loopback registry for the image tests), and what
# the real-release tests need (debootstrap, strace, the archive keyring).
# Debian/Ubuntu only; needs root or sudo. Does nothing when all are present.
set -euo pipefail
need=()
command -v go >/dev/null || need+=(golang-go)
command -v gofmt >/dev/null || need+=(golang-go)
command -v podman >/dev/null || need+=(podman)
[ -x /usr/sbin/runc ] || command -v runc >/dev/null || need+=(runc)
command -v git >/dev/null || need+=(git)
command -v make >/dev/null || need+=(make)
# What Kubernetes' and runc's make run on the host (--runner local checks them: hostTools.ts).
command -v rsync >/dev/null || need+=(rsync)
command -v gcc >/dev/null || need+=(gcc)
case "$(gcc -print-file-name=crt1.o 2>/dev/null)" in */*) ;; *) need+=(libc6-dev) ;; esac
command -v diff >/dev/null || need+=(diffutils)
# The reliability tests (test/reliability/): chattr +i for a read-only target file,
# mount for read-only and full tmpfs folders.
command -v chattr >/dev/null || need+=(e2fsprogs)
command -v mount >/dev/null || need+=(mount)
# A real image registry on 127.0.0.1 for the image fallback tests (test/helpers/loopbackRegistry.ts).
command -v docker-registry >/dev/null || need+=(docker-registry)
# The real-release tests (test/real/): debootstrap makes the Debian kube-cross stand-in
# (scripts/ci/podman-image-debian.sh); strace watches the cgroup probe; the archive
# keyring checks what scripts/real-release.sh fetches with apt.
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v strace >/dev/null || need+=(strace)
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
# The shipped workflow's matrix step runs jq (test/ci/matrixShards.test.ts runs that step);
# GNU time measures peak memory in scripts/bench-startup.mjs.
command -v jq >/dev/null || need+=(jq)
[ -x /usr/bin/time ] || need+=(time)
# The provenance tests (test/manifest/records.test.ts) check SHA256SUMS.sig as a user would:
# openssl makes the P-256 keys and runs `openssl dgst -sha256 -verify` (base64 is coreutils).
# No SPDX validator is packaged in Debian (only SPDX license lists): the SBOM is checked
# against schemas/spdx-2.3.schema.json instead.
command -v openssl >/dev/null || need+=(openssl)
# Packages (src/package/, test/package/): rpmbuild, rpm and rpm2cpio make and read RPMs, cpio takes a
# file out of an RPM's payload; dpkg-deb (dpkg, always there on Debian) makes and reads DEBs.
command -v rpmbuild >/dev/null || need+=(rpm)
command -v rpm2cpio >/dev/null || need+=(rpm)
command -v cpio >/dev/null || need+=(cpio)
command -v dpkg-deb >/dev/null || need+=(dpkg)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2068
$sudo apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
