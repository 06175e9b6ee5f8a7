#!/usr/bin/env bash
# Checks the stand-in Kubernetes tree (test/fixtures/k8s-standin) end to end,
# on the host and in the local kube-cross image:
#   - make WHAT=cmd/kubelet / make kubelet, default and two-platform builds
#   - the kubelet's --version, and the pod cgroup it creates (kmem switched on
#     for v1.12.4 and v1.14.10, not for v1.21.2, not with -tags=nokmem on
#     v1.14.10; GOFLAGS=-tags=nokmem does nothing on v1.12.4)
#   - the nokmem error literal is in the v1.14.10 binary only with the tag
#   - version stamping: "<tag>" from git, "<tag>-dirty" after an edit, "<tag>"
#     again with KUBE_GIT_VERSION_FILE, the default without git
#   - reproducible builds: same sha256 with a fresh GOCACHE, in a container,
#     and twice in a container
#
# Usage: scripts/ci/verify-standin.sh [--no-container] [--keep] [TAG...]
#   TAG            releases to check (default: v1.12.4 v1.14.10 v1.21.2)
#   --no-container skip the podman part
#   --keep         keep the work directory
# The image is built with scripts/ci/podman-image.sh if missing.
# KPATCH_KUBE_CROSS_IMAGE overrides the image name.

set -o errexit
set -o nounset
set -o pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd -P)"
FIXTURE="${REPO_ROOT}/test/fixtures/k8s-standin"
IMAGE="${KPATCH_KUBE_CROSS_IMAGE:-localhost/kpatch/kube-cross:local}"
PODMAN=("${SCRIPT_DIR}/podman.sh")
MEMORY_GO=vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/memory.go
NOKMEM_LITERAL="kernel memory accounting disabled in this runc build"
POD_DIR=kubepods/pod6f1c3c39-0000-4000-8000-000000000001
PLATFORMS="linux/amd64 linux/arm64"

CONTAINER=1
KEEP=0
TAGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-container) CONTAINER=0 ;;
    --keep) KEEP=1 ;;
    -h | --help)
      sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    v*) TAGS+=("$1") ;;
    *)
      echo "verify-standin.sh: unknown argument $1" >&2
      exit 2
      ;;
  esac
  shift
done
[[ ${#TAGS[@]} -gt 0 ]] || TAGS=(v1.12.4 v1.14.10 v1.21.2)

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/kpatch-verify-standin.XXXXXX")"
cleanup() {
  if [[ ${KEEP} -eq 1 ]]; then
    echo "work directory kept: ${WORK}"
  else
    rm -rf "${WORK}"
  fi
}
trap cleanup EXIT

FAILURES=0
TIMINGS=()
pass() { echo "ok   $*"; }
fail() {
  echo "FAIL $*"
  FAILURES=$((FAILURES + 1))
}
check_eq() {
  local what=$1 want=$2 got=$3
  if [[ ${want} == "${got}" ]]; then pass "${what}"; else fail "${what}: want '${want}', got '${got}'"; fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
timing() { TIMINGS+=("$(printf '%-55s %6.1fs' "$1" "$(awk "BEGIN{print ($2)/1000}")")"); }

git_fixed() {
  GIT_AUTHOR_NAME="Stand-in Release Bot" GIT_AUTHOR_EMAIL=standin-release@kpatch.invalid \
    GIT_COMMITTER_NAME="Stand-in Release Bot" GIT_COMMITTER_EMAIL=standin-release@kpatch.invalid \
    GIT_AUTHOR_DATE=2019-12-11T18:00:00+00:00 GIT_COMMITTER_DATE=2019-12-11T18:00:00+00:00 \
    GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
    git -c commit.gpgSign=false -c tag.gpgSign=false "$@"
}

# materialize TAG DEST: base/ with the TAG overlay laid over it.
materialize() {
  mkdir -p "$2"
  cp -a "${FIXTURE}/base/." "$2/"
  cp -a "${FIXTURE}/$1/." "$2/"
  rm -rf "$2/_output"
}

# make_git_tree TAG DEST: the tree, committed and tagged (annotated) as TAG.
make_git_tree() {
  materialize "$1" "$2"
  git_fixed -C "$2" init -q -b master
  git_fixed -C "$2" add --all -- .
  git_fixed -C "$2" commit -q -m "Kubernetes $1 (stand-in)"
  git_fixed -C "$2" tag -a "$1" -m "Kubernetes $1"
}

# host_make DIR LOG [VAR=VALUE...]: make WHAT=cmd/kubelet in DIR on the host,
# with GO111MODULE=off as kpatch gives it (the 1.12-1.14 harness relies on a
# Go that defaults to GOPATH mode; see hack/lib/era.sh).
host_make() {
  local dir=$1 log=$2
  shift 2
  (cd "${dir}" && env GO111MODULE=off "$@" make WHAT=cmd/kubelet) >"${log}" 2>&1 || {
    fail "make in ${dir} (see ${log})"
    cat "${log}"
    return 1
  }
}

# container_make DIR HOME_DIR LOG [-e VAR=VALUE...]: the containerised build.
container_make() {
  local dir=$1 home=$2 log=$3
  shift 3
  mkdir -p "${home}"
  "${PODMAN[@]}" run --rm --network none \
    -v "${dir}:/go/src/k8s.io/kubernetes" -v "${home}:/tmp/h" \
    -w /go/src/k8s.io/kubernetes -u "$(id -u):$(id -g)" \
    -e HOME=/tmp/h -e GOCACHE=/tmp/h/gocache -e GO111MODULE=off "$@" \
    "${IMAGE}" make WHAT=cmd/kubelet KUBE_BUILD_PLATFORMS="${PLATFORMS}" >"${log}" 2>&1 || {
    fail "container make in ${dir} (see ${log})"
    cat "${log}"
    return 1
  }
}

shas() { (cd "$1/_output/local/bin" && sha256sum */*/kubelet); }
bin() { echo "$1/_output/local/bin/linux/$(go env GOHOSTARCH)/kubelet"; }

# run_kubelet TREE: creates the pod cgroup under a fresh root; sets KMEM to
# the content of its memory.kmem.limit_in_bytes, or "absent".
run_kubelet() {
  local cg="${WORK}/cgroup-root"
  rm -rf "${cg}"
  local out
  out="$("$(bin "$1")" --cgroup-root "${cg}")"
  check_eq "kubelet prints the created cgroup path ($1)" "${cg}/${POD_DIR}" "${out}"
  if [[ -f ${cg}/${POD_DIR}/memory.kmem.limit_in_bytes ]]; then
    KMEM="$(cat "${cg}/${POD_DIR}/memory.kmem.limit_in_bytes")"
  else
    KMEM=absent
  fi
}

for tag in "${TAGS[@]}"; do
  [[ -d ${FIXTURE}/${tag} ]] || {
    fail "no overlay ${FIXTURE}/${tag}"
    continue
  }
  echo "=== ${tag}"
  T="${WORK}/${tag}"
  make_git_tree "${tag}" "${T}"
  cache1="${WORK}/gocache-host-1"

  t0=$(now_ms)
  host_make "${T}" "${WORK}/${tag}-host.log" GOCACHE="${cache1}" || continue
  timing "${tag}: host make, default platform, shared GOCACHE" $(($(now_ms) - t0))
  check_eq "default platform only" "linux/$(go env GOHOSTARCH)" "$(cd "${T}/_output/local/bin" && echo */*)"
  grep -q '^+++ \[.*\] Building go targets for linux/' "${WORK}/${tag}-host.log" &&
    pass "make prints progress lines" || fail "no progress line in make output"
  check_eq "--version from git" "Kubernetes ${tag}" "$("$(bin "${T}")" --version)"
  check_eq "go version -m shows GOPATH-style build" "k8s.io/kubernetes/cmd/kubelet" \
    "$(go version -m "$(bin "${T}")" | awk '$1 == "path" {print $2}')"
  check_eq "git status clean after build (_output ignored)" "" "$(git -C "${T}" status --porcelain)"

  run_kubelet "${T}"
  kmem="${KMEM}"
  if [[ ${tag} == v1.21.2 ]]; then
    check_eq "kmem not touched" absent "${kmem}"
  else
    check_eq "kmem switched on (1 then -1 written)" "-1" "${kmem}"
  fi
  if grep -q "${NOKMEM_LITERAL}" "$(bin "${T}")"; then
    fail "nokmem literal in a build without -tags=nokmem"
  else
    pass "no nokmem literal without the tag"
  fi

  # Reproducibility: two platforms, then again from scratch with a fresh GOCACHE.
  rm -rf "${T}/_output"
  host_make "${T}" "${WORK}/${tag}-host2.log" GOCACHE="${cache1}" KUBE_BUILD_PLATFORMS="${PLATFORMS}" || continue
  host_shas="$(shas "${T}")"
  rm -rf "${T}/_output"
  t0=$(now_ms)
  host_make "${T}" "${WORK}/${tag}-host3.log" GOCACHE="${WORK}/gocache-fresh-${tag}" KUBE_BUILD_PLATFORMS="${PLATFORMS}" || continue
  timing "${tag}: host make, 2 platforms, empty GOCACHE" $(($(now_ms) - t0))
  check_eq "bit-identical rebuild with fresh GOCACHE" "${host_shas}" "$(shas "${T}")"

  # GOFLAGS reaches go.
  rm -rf "${T}/_output"
  host_make "${T}" "${WORK}/${tag}-nokmem.log" GOCACHE="${cache1}" GOFLAGS=-tags=nokmem || continue
  if go version -m "$(bin "${T}")" | grep -q -- '-tags=nokmem'; then pass "GOFLAGS=-tags=nokmem reaches go"; else fail "GOFLAGS tags not in build info"; fi
  run_kubelet "${T}"
  kmem="${KMEM}"
  case "${tag}" in
    v1.12.4) check_eq "-tags=nokmem does nothing on ${tag}" "-1" "${kmem}" ;;
    v1.14.10)
      check_eq "-tags=nokmem keeps kmem off" absent "${kmem}"
      if grep -q "${NOKMEM_LITERAL}" "$(bin "${T}")"; then pass "nokmem literal compiled in"; else fail "nokmem literal missing"; fi
      err="$("$(bin "${T}")" --cgroup-root "${WORK}/cg-limit" --kernel-memory 1048576 2>&1 >/dev/null)" && rc=0 || rc=$?
      check_eq "--kernel-memory with nokmem fails" 1 "${rc}"
      [[ ${err} == *"${NOKMEM_LITERAL}"* ]] && pass "error names the nokmem build" || fail "unexpected error: ${err}"
      ;;
    v1.21.2) check_eq "kmem not touched with nokmem" absent "${kmem}" ;;
  esac
  rm -rf "${T}/_output"

  # Version stamping: dirty after an edit, clean with a version file.
  echo "// edited by verify-standin.sh" >>"${T}/${MEMORY_GO}"
  host_make "${T}" "${WORK}/${tag}-dirty.log" GOCACHE="${cache1}" || continue
  check_eq "--version after an edit" "Kubernetes ${tag}-dirty" "$("$(bin "${T}")" --version)"
  cat >"${WORK}/${tag}.version" <<EOF
KUBE_GIT_COMMIT='$(git -C "${T}" rev-parse HEAD)'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='${tag}'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='$(echo "${tag}" | cut -d. -f2)'
EOF
  host_make "${T}" "${WORK}/${tag}-vfile.log" GOCACHE="${cache1}" KUBE_GIT_VERSION_FILE="${WORK}/${tag}.version" || continue
  check_eq "--version with KUBE_GIT_VERSION_FILE" "Kubernetes ${tag}" "$("$(bin "${T}")" --version)"
  git -C "${T}" checkout -q -- "${MEMORY_GO}"
  rm -rf "${T}/_output"

  # Without git.
  P="${WORK}/${tag}-plain"
  materialize "${tag}" "${P}"
  host_make "${P}" "${WORK}/${tag}-plain.log" GOCACHE="${cache1}" || continue
  check_eq "--version without git" 'Kubernetes v0.0.0-master+$Format:%h$' "$("$(bin "${P}")" --version)"

  [[ ${CONTAINER} -eq 1 ]] || continue

  if ! "${PODMAN[@]}" image exists "${IMAGE}"; then
    t0=$(now_ms)
    "${SCRIPT_DIR}/podman-image.sh" "${IMAGE}"
    timing "image build (podman-image.sh)" $(($(now_ms) - t0))
  fi
  t0=$(now_ms)
  container_make "${T}" "${WORK}/${tag}-home1" "${WORK}/${tag}-c1.log" || continue
  timing "${tag}: container make, 2 platforms, empty GOCACHE" $(($(now_ms) - t0))
  c1="$(shas "${T}")"
  check_eq "container build == host build" "${host_shas}" "${c1}"
  check_eq "--version (container build)" "Kubernetes ${tag}" "$("$(bin "${T}")" --version)"
  rm -rf "${T}/_output"
  t0=$(now_ms)
  container_make "${T}" "${WORK}/${tag}-home2" "${WORK}/${tag}-c2.log" || continue
  timing "${tag}: container make again, fresh HOME" $(($(now_ms) - t0))
  check_eq "two container builds bit-identical" "${c1}" "$(shas "${T}")"
  t0=$(now_ms)
  container_make "${T}" "${WORK}/${tag}-home2" "${WORK}/${tag}-c3.log" || continue
  timing "${tag}: container make again, warm GOCACHE" $(($(now_ms) - t0))
  if [[ ${tag} == v1.14.10 ]]; then
    rm -rf "${T}/_output"
    container_make "${T}" "${WORK}/${tag}-home2" "${WORK}/${tag}-c4.log" -e GOFLAGS=-tags=nokmem || continue
    if grep -q "${NOKMEM_LITERAL}" "$(bin "${T}")"; then pass "nokmem literal (container, GOFLAGS)"; else fail "nokmem literal missing (container)"; fi
  fi
done

echo
echo "Timings:"
for t in "${TIMINGS[@]}"; do echo "  ${t}"; done
echo
if [[ ${FAILURES} -gt 0 ]]; then
  echo "${FAILURES} check(s) failed"
  exit 1
fi
echo "all checks passed"
