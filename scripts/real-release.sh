#!/usr/bin/env bash
# Fetches real releases for kpatch's real-release tests and benchmarks, with apt
# itself, from the Debian archive this machine already uses (never a host name
# written here: the archive's URI is read from the machine's own sources entry).
#
# Usage: scripts/real-release.sh [--cache DIR] WHAT
#   kubernetes   Debian bullseye's `kubernetes` source package (upstream's v1.20.2
#                release tarball, vendor/ included) as a bare git repository with one
#                commit and an annotated tag v1.20.2; prints its file:// URL.
#   runc-rc93    bullseye's golang-github-opencontainers-runc-dev (runc v1.0.0-rc93
#                source, vendor stripped); prints the runc tree's path.
#   runc-1.1.5   bookworm's golang-github-opencontainers-runc-dev (runc 1.1.5, no
#                kmem call); prints the runc tree's path.
#   env          prints KPATCH_REAL_K8S_URL=, KPATCH_REAL_RUNC_RC93=, KPATCH_REAL_RUNC_115=
#                (all three fetched).
#   runc-rc93-gopath
#                a GOPATH (prints its path) holding bullseye's Go packages runc rc93's
#                libcontainer/cgroups/fs needs (the -dev package's Go dependencies, as
#                Debian compiled it), for compiling a patched rc93 fs package.
#   archive-uri  prints the Debian archive URI of the machine's own sources entry (what
#                every fetch here uses; scripts/ci/podman-image-debian.sh uses it too).
#
# The cache (default ${KPATCH_REAL_CACHE:-/var/tmp/kpatch-real}) keeps the results, so a
# run downloads each package once; a second call only prints. apt's state (sources,
# lists, downloads) lives in the cache too: the machine's apt configuration is untouched.
# Every download is checked against apt's signed index (Checksums-Sha256 of the Sources
# entry for the tarball, SHA256 of the Packages entry for a .deb); anything else is refused.
# Progress goes to stderr, the answer to stdout. Needs apt-get, dpkg-deb, git, tar.

set -o errexit
set -o nounset
set -o pipefail

CACHE="${KPATCH_REAL_CACHE:-/var/tmp/kpatch-real}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache)
      CACHE="$2"
      shift 2
      ;;
    -h | --help)
      sed -n '2,28s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*)
      echo "real-release.sh: unknown option $1" >&2
      exit 2
      ;;
    *) break ;;
  esac
done
WHAT="${1-}"
[[ -n ${WHAT} ]] || {
  echo "real-release.sh: name what to fetch (kubernetes, runc-rc93, runc-1.1.5, env)" >&2
  exit 2
}

K8S_VERSION="1.20.5+really1.20.2-1"
K8S_ORIG="kubernetes_1.20.5+really1.20.2.orig.tar.gz"
K8S_TAG="v1.20.2"
RUNC_PKG="golang-github-opencontainers-runc-dev"
RUNC_RC93_VERSION="1.0.0~rc93+ds1-5+deb11u5"
RUNC_115_VERSION="1.1.5+ds1-1+deb12u1"
RUNC_SUBDIR="usr/share/gocode/src/github.com/opencontainers/runc"
# Fixed identity and dates: the commit id is the same on every machine.
FIXED_DATE="2021-01-13T13:59:00+00:00"

log() { echo "+++ [real-release] $*" >&2; }
die() {
  echo "real-release.sh: $*" >&2
  exit 1
}

mkdir -p "${CACHE}"
# Tests run in parallel: one fetches, the others wait and then find the result.
exec 9>"${CACHE}/.lock"
flock 9

APT="${CACHE}/apt"
apt_opts() {
  printf '%s\n' \
    -o "Dir::Etc::SourceList=${APT}/sources.list" \
    -o "Dir::Etc::SourceParts=${APT}/sources.list.d" \
    -o "Dir::State::Lists=${APT}/lists" \
    -o "Dir::Cache::Archives=${APT}/archives" \
    -o "Dir::Cache::pkgcache=" \
    -o "Dir::Cache::srcpkgcache=" \
    -o "APT::Sandbox::User=root" \
    -o "Debug::NoLocking=1"
}

# The archive URI of this machine's own Debian sources (deb822 `URIs:` line, or a
# one-line `deb URI suite ...` entry), the first that is not the security archive.
archive_uri() {
  local uri=""
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r ${f} ]] || continue
    uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "${f}")"
    [[ -n ${uri} ]] && break
  done
  if [[ -z ${uri} && -r /etc/apt/sources.list ]]; then
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' /etc/apt/sources.list)"
  fi
  [[ -n ${uri} ]] || die "no Debian archive URI in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  echo "${uri}"
}

apt_update() {
  [[ -f ${APT}/updated ]] && return 0
  local uri keyring
  uri="$(archive_uri)"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -r ${keyring} ]] || die "${keyring} is missing (apt-get install debian-archive-keyring)"
  mkdir -p "${APT}/sources.list.d" "${APT}/lists/partial" "${APT}/archives/partial"
  cat >"${APT}/sources.list" <<EOF
deb-src [signed-by=${keyring}] ${uri} bullseye main
deb [signed-by=${keyring}] ${uri} bullseye main
deb [signed-by=${keyring}] ${uri} bookworm main
EOF
  log "apt-get update (private state in ${APT})"
  mapfile -t opts < <(apt_opts)
  apt-get "${opts[@]}" -qq update >&2
  touch "${APT}/updated"
}

# sha256 of FILE from the signed Sources index (Checksums-Sha256 of VERSION).
indexed_source_sha256() {
  local pkg=$1 version=$2 file=$3
  mapfile -t opts < <(apt_opts)
  apt-cache "${opts[@]}" showsrc "${pkg}" | awk -v v="${version}" -v f="${file}" '
    /^Package:/ { inpkg = 0 }
    /^Version:/ { inpkg = ($2 == v) }
    /^[A-Za-z0-9-]+:/ { sect = $1 }
    inpkg && sect == "Checksums-Sha256:" && $3 == f { print $1; exit }'
}

kubernetes() {
  local repo="${CACHE}/kubernetes-${K8S_TAG}.git"
  if [[ -f ${repo}/kpatch-complete ]]; then
    echo "file://${repo}"
    return 0
  fi
  apt_update
  local dl="${CACHE}/download"
  mkdir -p "${dl}"
  local want
  want="$(indexed_source_sha256 kubernetes "${K8S_VERSION}" "${K8S_ORIG}")"
  [[ ${want} =~ ^[0-9a-f]{64}$ ]] || die "apt's source index has no Checksums-Sha256 entry for ${K8S_ORIG}"
  if [[ ! -f ${dl}/${K8S_ORIG} ]] || [[ "$(sha256sum "${dl}/${K8S_ORIG}" | cut -d' ' -f1)" != "${want}" ]]; then
    log "apt-get source --download-only kubernetes=${K8S_VERSION}"
    mapfile -t opts < <(apt_opts)
    # Some mirrors serve the orig tarball but answer 404 for the .dsc and the Debian
    # tarball; the orig tarball is all that is needed, and its checksum is checked below.
    (cd "${dl}" && apt-get "${opts[@]}" -qq source --download-only "kubernetes=${K8S_VERSION}" >&2) || true
    [[ -f ${dl}/${K8S_ORIG} ]] || die "apt-get source did not download ${K8S_ORIG}"
  fi
  local got
  got="$(sha256sum "${dl}/${K8S_ORIG}" | cut -d' ' -f1)"
  if [[ ${got} != "${want}" ]]; then
    rm -f "${dl}/${K8S_ORIG}"
    die "${K8S_ORIG} has sha256 ${got}, apt's signed index says ${want}: refused"
  fi
  log "${K8S_ORIG}: sha256 ${got} matches apt's signed index"

  local work="${CACHE}/kubernetes-work"
  rm -rf "${work}" "${repo}"
  mkdir -p "${work}"
  log "unpacking into a git repository"
  tar -xzf "${dl}/${K8S_ORIG}" -C "${work}"
  local top
  top="$(find "${work}" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
  [[ -d ${top}/vendor/github.com/opencontainers/runc ]] || die "${K8S_ORIG} has no vendored runc"
  (
    cd "${top}"
    export GIT_AUTHOR_NAME="kpatch real-release" GIT_AUTHOR_EMAIL="kpatch@invalid" \
      GIT_COMMITTER_NAME="kpatch real-release" GIT_COMMITTER_EMAIL="kpatch@invalid" \
      GIT_AUTHOR_DATE="${FIXED_DATE}" GIT_COMMITTER_DATE="${FIXED_DATE}"
    git init -q -b master
    git config core.autocrlf false
    git config gc.auto 0
    # -f: the tarball is upstream's tree, every file of which git tracked upstream.
    git add -A -f
    git commit -q -m "Kubernetes ${K8S_TAG} (Debian ${K8S_ORIG}, sha256 ${got})"
    git tag -a "${K8S_TAG}" -m "Kubernetes ${K8S_TAG}"
  )
  git clone -q --bare "${top}" "${repo}.tmp"
  rm -rf "${repo}"
  mv "${repo}.tmp" "${repo}"
  rm -rf "${work}"
  touch "${repo}/kpatch-complete"
  log "$(git --git-dir="${repo}" rev-parse "${K8S_TAG}^{commit}") ${K8S_TAG} in ${repo}"
  echo "file://${repo}"
}

# runc_tree VERSION NAME: the runc source of golang-github-opencontainers-runc-dev=VERSION.
runc_tree() {
  local version=$1 name=$2
  local dir="${CACHE}/${name}"
  if [[ -f ${dir}/kpatch-complete ]]; then
    echo "${dir}/tree/${RUNC_SUBDIR}"
    return 0
  fi
  apt_update
  mapfile -t opts < <(apt_opts)
  local want file
  want="$(apt-cache "${opts[@]}" show "${RUNC_PKG}=${version}" | awk '/^SHA256:/ { print $2; exit }')"
  [[ ${want} =~ ^[0-9a-f]{64}$ ]] || die "apt's package index has no SHA256 entry for ${RUNC_PKG}=${version}"
  rm -rf "${dir}"
  mkdir -p "${dir}/deb"
  log "apt-get download ${RUNC_PKG}=${version}"
  (cd "${dir}/deb" && apt-get "${opts[@]}" -qq download "${RUNC_PKG}=${version}" >&2)
  file="$(find "${dir}/deb" -name '*.deb' | head -n 1)"
  [[ -n ${file} ]] || die "apt-get download left no .deb"
  local got
  got="$(sha256sum "${file}" | cut -d' ' -f1)"
  [[ ${got} == "${want}" ]] || die "$(basename "${file}") has sha256 ${got}, apt's signed index says ${want}: refused"
  dpkg-deb -x "${file}" "${dir}/tree"
  [[ -d ${dir}/tree/${RUNC_SUBDIR}/libcontainer ]] || die "$(basename "${file}") holds no runc source"
  touch "${dir}/kpatch-complete"
  echo "${dir}/tree/${RUNC_SUBDIR}"
}

# The Go dependencies of libcontainer/cgroups/fs in runc rc93, as bullseye packages them
# (golang-github-opencontainers-runc-dev's Depends that the fs package reaches, and
# golang.org/x/sys, which those bring in).
RUNC_RC93_FS_DEPS=(golang-github-pkg-errors-dev golang-golang-x-sys-dev golang-github-sirupsen-logrus-dev
  golang-github-moby-sys-dev golang-github-docker-go-units-dev golang-github-opencontainers-specs-dev
  golang-github-cyphar-filepath-securejoin-dev golang-github-coreos-go-systemd-dev golang-dbus-dev
  golang-github-cilium-ebpf-dev golang-github-willf-bitset-dev)

# runc_rc93_gopath: the Go packages above, unpacked into one GOPATH (usr/share/gocode).
runc_rc93_gopath() {
  local dir="${CACHE}/runc-rc93-gopath"
  if [[ -f ${dir}/kpatch-complete ]]; then
    echo "${dir}/tree/usr/share/gocode"
    return 0
  fi
  apt_update
  mapfile -t opts < <(apt_opts)
  rm -rf "${dir}"
  mkdir -p "${dir}/deb" "${dir}/tree"
  local pkgs=() p
  for p in "${RUNC_RC93_FS_DEPS[@]}"; do pkgs+=("${p}/bullseye"); done
  log "apt-get download ${RUNC_RC93_FS_DEPS[*]} (bullseye)"
  # apt-get download checks every file against the signed Packages index (Hash Sum mismatch otherwise).
  (cd "${dir}/deb" && apt-get "${opts[@]}" -qq download "${pkgs[@]}" >&2)
  local f
  for f in "${dir}/deb"/*.deb; do dpkg-deb -x "${f}" "${dir}/tree"; done
  [[ -d ${dir}/tree/usr/share/gocode/src/golang.org/x/sys/unix ]] || die "the bullseye Go packages hold no golang.org/x/sys/unix"
  touch "${dir}/kpatch-complete"
  echo "${dir}/tree/usr/share/gocode"
}

case "${WHAT}" in
  kubernetes) kubernetes ;;
  runc-rc93) runc_tree "${RUNC_RC93_VERSION}" runc-rc93 ;;
  runc-1.1.5) runc_tree "${RUNC_115_VERSION}" runc-1.1.5 ;;
  env)
    k8s="$(kubernetes)"
    rc93="$(runc_tree "${RUNC_RC93_VERSION}" runc-rc93)"
    r115="$(runc_tree "${RUNC_115_VERSION}" runc-1.1.5)"
    printf 'KPATCH_REAL_K8S_URL=%s\nKPATCH_REAL_RUNC_RC93=%s\nKPATCH_REAL_RUNC_115=%s\n' "${k8s}" "${rc93}" "${r115}"
    ;;
  runc-rc93-gopath) runc_rc93_gopath ;;
  archive-uri) archive_uri ;;
  *) die "unknown WHAT '${WHAT}' (kubernetes, runc-rc93, runc-1.1.5, runc-rc93-gopath, env, archive-uri)" ;;
esac
