#!/usr/bin/env bash
# Builds a local stand-in for Kubernetes' kube-cross build image, from files of
# this machine only (no registry can be reached): the host's Go toolchain,
# GNU make, bash, dash as /bin/sh, git, coreutils and friends, each with the
# shared libraries ldd says it needs, imported with `podman import`.
#
# Usage: scripts/ci/podman-image.sh [--force] [IMAGE]
#   IMAGE    image name (default: localhost/kpatch/kube-cross:local)
#   --force  rebuild even if IMAGE exists
# Without --force an existing IMAGE is kept, unless its kpatch.go-version
# label differs from the host's `go env GOVERSION`.
#
# podman runs as `podman --runtime /usr/sbin/runc` with CONTAINERS_CONF set to
# scripts/ci/containers.conf (crun fails on this machine; see README.md).
# PODMAN_RUNTIME overrides the runtime path.

set -o errexit
set -o nounset
set -o pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# Several test files may ask for the image at once (vitest runs files in
# parallel): one builds it, the others wait and then find it.
exec 9>"${TMPDIR:-/tmp}/kpatch-podman-image.lock"
flock 9
export CONTAINERS_CONF="${SCRIPT_DIR}/containers.conf"
PODMAN=(podman --runtime "${PODMAN_RUNTIME:-/usr/sbin/runc}")

IMAGE="localhost/kpatch/kube-cross:local"
FORCE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force | -f) FORCE=1 ;;
    -h | --help)
      sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*)
      echo "podman-image.sh: unknown option $1" >&2
      exit 2
      ;;
    *) IMAGE="$1" ;;
  esac
  shift
done

log() { echo "+++ [$(date +'%m%d %H:%M:%S')] $*"; }
die() {
  echo "podman-image.sh: $*" >&2
  exit 1
}

command -v podman >/dev/null || die "podman is not installed (apt-get install podman runc)"
command -v go >/dev/null || die "go is not installed (apt-get install golang-go)"
GOROOT_HOST="$(go env GOROOT)"
GOVERSION_HOST="$(go env GOVERSION)"
GOHOSTOS="$(go env GOHOSTOS)"
GOHOSTARCH="$(go env GOHOSTARCH)"

if "${PODMAN[@]}" image exists "${IMAGE}"; then
  existing_go="$("${PODMAN[@]}" image inspect --format '{{ index .Labels "kpatch.go-version" }}' "${IMAGE}" 2>/dev/null || true)"
  if [[ ${FORCE} -eq 0 && ${existing_go} == "${GOVERSION_HOST}" ]]; then
    log "${IMAGE} exists (${existing_go}); nothing to do (--force rebuilds)"
    exit 0
  fi
  OLD_ID="$("${PODMAN[@]}" image inspect --format '{{.Id}}' "${IMAGE}")"
  if [[ ${FORCE} -eq 0 ]]; then
    log "${IMAGE} has Go '${existing_go}', the host has ${GOVERSION_HOST}: rebuilding"
  fi
fi

start=${SECONDS}
STAGE="$(mktemp -d "${TMPDIR:-/var/tmp}/kpatch-kube-cross.XXXXXX")"
trap 'rm -rf "${STAGE}"' EXIT
ROOTFS="${STAGE}/rootfs"
mkdir -p "${ROOTFS}"

# Layout of a merged-/usr Debian: /bin, /sbin, /lib, /lib64 point into /usr.
mkdir -p "${ROOTFS}"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,etc,root,dev,proc,sys,run,var/tmp,tmp}
mkdir -p "${ROOTFS}/go/src/k8s.io/kubernetes" "${ROOTFS}/go/bin"
ln -s usr/bin "${ROOTFS}/bin"
ln -s usr/sbin "${ROOTFS}/sbin"
ln -s usr/lib "${ROOTFS}/lib"
ln -s usr/lib64 "${ROOTFS}/lib64"
chmod 1777 "${ROOTFS}/tmp" "${ROOTFS}/var/tmp"
chmod 0700 "${ROOTFS}/root"
chmod 0777 "${ROOTFS}/go" "${ROOTFS}/go/src" "${ROOTFS}/go/bin"

# Files whose shared libraries must come along.
ELF_FILES=()

# copy_command NAME [required]: copies the host's NAME (symlinks resolved)
# to /usr/bin/NAME in the image.
copy_command() {
  local name=$1 required=${2-}
  local src
  if ! src="$(type -P "${name}")"; then
    [[ -z ${required} ]] || die "required command '${name}' not found on the host"
    return 0
  fi
  cp -L --preserve=mode "${src}" "${ROOTFS}/usr/bin/${name}"
  ELF_FILES+=("${ROOTFS}/usr/bin/${name}")
}

log "Copying host tools"
for c in bash dash make git env cat mkdir rm rmdir ln cp mv date dirname basename \
  head tail sed grep id uname readlink realpath tr sort chmod touch ls pwd mktemp; do
  copy_command "${c}" required
done
for c in awk mawk gawk find xargs tar gzip gunzip zcat xz bzip2 diff cmp patch tee wc cut \
  chown chgrp stat printf echo test true false sleep sha256sum sha1sum md5sum uniq comm \
  paste od expr seq yes nproc timeout install du df whoami hostname getopt which \
  rsync; do
  [[ -e ${ROOTFS}/usr/bin/${c} ]] || copy_command "${c}"
done
ln -s dash "${ROOTFS}/usr/bin/sh"
[[ -e ${ROOTFS}/usr/bin/[ ]] || ln -s test "${ROOTFS}/usr/bin/["

log "Copying git's helpers"
for d in /usr/lib/git-core /usr/share/git-core; do
  if [[ -d ${d} ]]; then
    mkdir -p "${ROOTFS}${d}"
    cp -a "${d}/." "${ROOTFS}${d}/"
  fi
done
if [[ -d ${ROOTFS}/usr/lib/git-core ]]; then
  while IFS= read -r -d '' f; do ELF_FILES+=("${f}"); done \
    < <(find "${ROOTFS}/usr/lib/git-core" -type f -perm -u+x -print0)
fi

log "Copying the Go toolchain from ${GOROOT_HOST} (${GOVERSION_HOST})"
GOROOT_REAL="$(cd "${GOROOT_HOST}" && pwd -P)"
GOROOT_IMG="${ROOTFS}${GOROOT_HOST}"
mkdir -p "${GOROOT_IMG}"
# Everything but the Go test suite and the precompiled standard library
# (Go rebuilds the latter into GOCACHE anyway for CGO_ENABLED=0 / -trimpath /
# cross builds).
for entry in "${GOROOT_HOST}"/*; do
  name="$(basename "${entry}")"
  case "${name}" in
    test) continue ;;
    pkg)
      mkdir -p "${GOROOT_IMG}/pkg"
      for p in "$(readlink -f "${entry}")"/*; do
        case "$(basename "${p}")" in
          "${GOHOSTOS}_${GOHOSTARCH}"* | obj) continue ;;
        esac
        cp -a "${p}" "${GOROOT_IMG}/pkg/"
      done
      ;;
    *) cp -a "${entry}" "${GOROOT_IMG}/" ;;
  esac
done
# Debian's GOROOT is full of symlinks into /usr/share/go-X.Y: replace every
# symlink that leads out of GOROOT by a copy of what it points to.
for _ in 1 2 3 4 5; do
  changed=0
  while IFS= read -r -d '' link; do
    host_path="${link#"${ROOTFS}"}"
    target="$(readlink -f "${host_path}" || true)"
    [[ -n ${target} && -e ${target} ]] || continue
    case "${target}" in "${GOROOT_REAL}"/* | "${GOROOT_HOST}"/*) continue ;; esac
    rm -f "${link}"
    if [[ -d ${target} ]]; then
      mkdir -p "${link}"
      cp -a "${target}/." "${link}/"
    else
      cp -a -L "${target}" "${link}"
    fi
    changed=1
  done < <(find "${GOROOT_IMG}" -type l -print0)
  [[ ${changed} -eq 1 ]] || break
done
rm -rf "${GOROOT_IMG}/test"
ln -s "${GOROOT_HOST}/bin/go" "${ROOTFS}/usr/bin/go"
ln -s "${GOROOT_HOST}/bin/gofmt" "${ROOTFS}/usr/bin/gofmt"
while IFS= read -r -d '' f; do ELF_FILES+=("${f}"); done \
  < <(find "${GOROOT_IMG}/bin" "${GOROOT_IMG}/pkg/tool" -type f -perm -u+x -print0)

log "Copying shared libraries"
declare -A LIBS=()
for f in "${ELF_FILES[@]}"; do
  # ldd fails on scripts and static binaries: nothing to copy then.
  out="$(ldd "${f}" 2>/dev/null)" || continue
  while read -r line; do
    lib=""
    if [[ ${line} =~ \=\>\ (/[^ ]+) ]]; then
      lib="${BASH_REMATCH[1]}"
    elif [[ ${line} =~ ^(/[^ ]+)\ \( ]]; then
      lib="${BASH_REMATCH[1]}"
    fi
    [[ -n ${lib} ]] && LIBS["${lib}"]=1
  done <<<"${out}"
done
for lib in "${!LIBS[@]}"; do
  dir="$(cd "$(dirname "${lib}")" && pwd -P)"
  mkdir -p "${ROOTFS}${dir}"
  cp -L --preserve=mode "${lib}" "${ROOTFS}${dir}/$(basename "${lib}")"
done
log "  ${#LIBS[@]} libraries"

log "Writing /etc"
cat >"${ROOTFS}/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"${ROOTFS}/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"${ROOTFS}/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files
EOF
touch "${ROOTFS}/etc/hosts" "${ROOTFS}/etc/resolv.conf"
cat >"${ROOTFS}/etc/kpatch-kube-cross" <<EOF
Local stand-in for kube-cross, built by scripts/ci/podman-image.sh from host files.
go: ${GOVERSION_HOST} (${GOROOT_HOST})
make: $(make --version | head -n 1)
git: $(git --version)
bash: ${BASH_VERSION}
EOF

log "Packing the root filesystem"
tar -C "${ROOTFS}" --numeric-owner --owner=0 --group=0 --sort=name -cf "${STAGE}/rootfs.tar" .
log "  $(du -h "${STAGE}/rootfs.tar" | cut -f1) uncompressed"

log "Importing ${IMAGE}"
"${PODMAN[@]}" import \
  --change "ENV PATH=${GOROOT_HOST}/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV GOPATH=/go" \
  --change "WORKDIR /go/src/k8s.io/kubernetes" \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL kpatch.go-version=${GOVERSION_HOST}" \
  --change "LABEL kpatch.goroot=${GOROOT_HOST}" \
  --change "LABEL kpatch.built-by=scripts/ci/podman-image.sh" \
  --quiet --message "kpatch local kube-cross (${GOVERSION_HOST})" \
  "${STAGE}/rootfs.tar" "${IMAGE}" >/dev/null

if [[ -n ${OLD_ID-} ]]; then
  new_id="$("${PODMAN[@]}" image inspect --format '{{.Id}}' "${IMAGE}")"
  if [[ ${new_id} != "${OLD_ID}" ]]; then
    "${PODMAN[@]}" image rm "${OLD_ID}" >/dev/null 2>&1 || true
  fi
fi

log "Smoke test"
"${PODMAN[@]}" run --rm --network none "${IMAGE}" \
  sh -c 'go version && make --version | head -n 1 && git --version && bash --version | head -n 1'

log "Built ${IMAGE} in $((SECONDS - start))s"
