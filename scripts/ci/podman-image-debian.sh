#!/usr/bin/env bash
# Builds a kube-cross stand-in that can build a real Kubernetes kubelet, from Debian
# packages: `debootstrap --variant=minbase` of bookworm with golang-go, make, gcc,
# libc6-dev (kubelet uses cgo), rsync (Kubernetes' generators need it), git, then
# `podman import`. No registry can be reached here; Debian's archive can, and its URI
# is the one of this machine's own sources entry (scripts/real-release.sh archive-uri),
# never a host name written in this repository.
#
# Usage: scripts/ci/podman-image-debian.sh [--force] [IMAGE]
#   IMAGE    image name (default: localhost/kpatch/kube-cross:debian-bookworm)
#   --force  rebuild even if IMAGE exists with the same recipe
# The image carries the label kpatch.recipe: the sha256 of this script. An existing
# IMAGE with the same label is kept (so CI builds it once per machine); a different
# label (the recipe changed) rebuilds it.
#
# The fast tests keep using scripts/ci/podman-image.sh (host files, seconds to make);
# this image is for the real-release tests (test/real/) and takes a few minutes.
# Needs root (debootstrap), debootstrap, podman and runc (scripts/install-deps.sh).

set -o errexit
set -o nounset
set -o pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
SCRIPT_PATH="${SCRIPT_DIR}/$(basename "${BASH_SOURCE[0]}")"
exec 9>"${TMPDIR:-/tmp}/kpatch-podman-image-debian.lock"
flock 9
export CONTAINERS_CONF="${SCRIPT_DIR}/containers.conf"
PODMAN=(podman --runtime "${PODMAN_RUNTIME:-/usr/sbin/runc}")

SUITE=bookworm
PACKAGES=golang-go,make,gcc,libc6-dev,rsync,git,ca-certificates
IMAGE="localhost/kpatch/kube-cross:debian-${SUITE}"
FORCE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force | -f) FORCE=1 ;;
    -h | --help)
      sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*)
      echo "podman-image-debian.sh: unknown option $1" >&2
      exit 2
      ;;
    *) IMAGE="$1" ;;
  esac
  shift
done

log() { echo "+++ [$(date +'%m%d %H:%M:%S')] $*"; }
die() {
  echo "podman-image-debian.sh: $*" >&2
  exit 1
}

command -v podman >/dev/null || die "podman is not installed (apt-get install podman runc)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
[[ "$(id -u)" -eq 0 ]] || die "debootstrap needs root"

RECIPE="$(sha256sum "${SCRIPT_PATH}" | cut -d' ' -f1)"
if "${PODMAN[@]}" image exists "${IMAGE}"; then
  existing="$("${PODMAN[@]}" image inspect --format '{{ index .Labels "kpatch.recipe" }}' "${IMAGE}" 2>/dev/null || true)"
  if [[ ${FORCE} -eq 0 && ${existing} == "${RECIPE}" ]]; then
    log "${IMAGE} exists (recipe ${RECIPE:0:12}); nothing to do (--force rebuilds)"
    exit 0
  fi
  OLD_ID="$("${PODMAN[@]}" image inspect --format '{{.Id}}' "${IMAGE}")"
fi

URI="$("${SCRIPT_DIR}/../real-release.sh" archive-uri)"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r ${KEYRING} ]] || die "${KEYRING} is missing (apt-get install debian-archive-keyring)"

start=${SECONDS}
STAGE="$(mktemp -d "${TMPDIR:-/var/tmp}/kpatch-kube-cross-debian.XXXXXX")"
trap 'rm -rf "${STAGE}"' EXIT
ROOTFS="${STAGE}/rootfs"

log "debootstrap --variant=minbase ${SUITE} (${PACKAGES})"
debootstrap --variant=minbase --keyring="${KEYRING}" --include="${PACKAGES}" \
  "${SUITE}" "${ROOTFS}" "${URI}" >"${STAGE}/debootstrap.log" 2>&1 || {
  tail -n 30 "${STAGE}/debootstrap.log" >&2
  die "debootstrap failed (log above)"
}

# Kubernetes' build container layout: the tree at /go/src/k8s.io/kubernetes, writable by
# the uid the runner uses.
mkdir -p "${ROOTFS}/go/src/k8s.io/kubernetes" "${ROOTFS}/go/bin"
chmod 0777 "${ROOTFS}/go" "${ROOTFS}/go/src" "${ROOTFS}/go/src/k8s.io" "${ROOTFS}/go/bin"
# Nothing of the download is needed in the image.
rm -rf "${ROOTFS}/var/cache/apt/archives/"*.deb "${ROOTFS}/var/lib/apt/lists/"* "${ROOTFS}/debootstrap"
GOVERSION="$(chroot "${ROOTFS}" /usr/bin/go env GOVERSION)"
cat >"${ROOTFS}/etc/kpatch-kube-cross" <<EOF
Local stand-in for kube-cross, built by scripts/ci/podman-image-debian.sh:
debootstrap --variant=minbase --include=${PACKAGES} ${SUITE}
go: ${GOVERSION}
EOF

log "Packing the root filesystem"
tar -C "${ROOTFS}" --numeric-owner --sort=name -cf "${STAGE}/rootfs.tar" .
log "  $(du -h "${STAGE}/rootfs.tar" | cut -f1) uncompressed"

log "Importing ${IMAGE}"
"${PODMAN[@]}" import \
  --change "ENV PATH=/usr/lib/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV GOPATH=/go" \
  --change "WORKDIR /go/src/k8s.io/kubernetes" \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL kpatch.recipe=${RECIPE}" \
  --change "LABEL kpatch.go-version=${GOVERSION}" \
  --change "LABEL kpatch.debian-suite=${SUITE}" \
  --change "LABEL kpatch.built-by=scripts/ci/podman-image-debian.sh" \
  --quiet --message "kpatch kube-cross stand-in from Debian ${SUITE} (${GOVERSION})" \
  "${STAGE}/rootfs.tar" "${IMAGE}" >/dev/null

if [[ -n ${OLD_ID-} ]]; then
  new_id="$("${PODMAN[@]}" image inspect --format '{{.Id}}' "${IMAGE}")"
  if [[ ${new_id} != "${OLD_ID}" ]]; then
    "${PODMAN[@]}" image rm "${OLD_ID}" >/dev/null 2>&1 || true
  fi
fi

log "Smoke test"
"${PODMAN[@]}" run --rm --network none "${IMAGE}" \
  sh -c 'go version && make --version | head -n 1 && git --version && rsync --version | head -n 1 && gcc --version | head -n 1'

log "Built ${IMAGE} in $((SECONDS - start))s"
