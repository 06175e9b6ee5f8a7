/**
 * The maintainer scripts kpatch's packages run, as POSIX sh parts that
 * rpmSpec.ts and debControl.ts place in each format's hooks.
 *
 * The reboot sentinel: the fix takes effect only after a reboot (the
 * `kubepods` cgroup keeps the kmem setting it was created with), so a package
 * installed over a kubelet or runc that lacked the fix asks for one the way
 * Debian's packages do and kured (the Kubernetes reboot daemon) watches for:
 * `/var/run/reboot-required`, and the package's name appended to
 * `/var/run/reboot-required.pkgs`. Before the files are unpacked the old
 * binary is read (never run): it had the fix when it carries kpatch's version
 * note or the build tag's proof string, the same marks `kpatch doctor`
 * reads; anything else, or no `grep` to tell, counts as lacking it. The answer
 * waits in a flag file under /var/run until the install has succeeded, so a
 * failed install asks for nothing. `--no-reboot-sentinel` leaves all of this out.
 */
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import type { ScriptParts } from './layout.js';

/** The version note kpatch stamps into its binaries (`v1.12.4+kpatch.guard`); doctor's scanBinary.ts reads the same. */
const KPATCH_NOTE = '+kpatch.';

/** Debian's sentinel files, which kured's default `--reboot-sentinel` watches. */
export const SENTINEL = '/var/run/reboot-required';
export const SENTINEL_PKGS = '/var/run/reboot-required.pkgs';

/** A word in single quotes for sh (the values here are kpatch's own, never user input; quoted all the same). */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sentinel's parts for package `name` whose binary is at `binaryPath`. */
export function rebootSentinelParts(name: string, binaryPath: string): Pick<ScriptParts, 'beforeInstall' | 'afterInstall'> {
  const flag = shQuote(`/var/run/kpatch-reboot-${name}`);
  const marks = [KPATCH_NOTE, ...(DEFAULT_RECIPE_FACTS.buildTag?.knownProofStrings ?? [])].map((m) => `-e ${shQuote(m)}`).join(' ');
  const bin = shQuote(binaryPath);
  return {
    beforeInstall: [
      `# kpatch: ask for a reboot if this replaces a ${name} without the fix (see ${SENTINEL})`,
      `rm -f ${flag}`,
      `if [ -f ${bin} ] && ! grep -qaF ${marks} ${bin} 2>/dev/null; then`,
      `  mkdir -p /var/run && : > ${flag} || true`,
      'fi',
    ],
    afterInstall: [
      `if [ -e ${flag} ]; then`,
      `  printf '%s\\n' '*** System restart required ***' > ${shQuote(SENTINEL)} || true`,
      `  grep -qxF ${shQuote(name)} ${shQuote(SENTINEL_PKGS)} 2>/dev/null || echo ${shQuote(name)} >> ${shQuote(SENTINEL_PKGS)} || true`,
      `  rm -f ${flag}`,
      'fi',
    ],
  };
}

/**
 * What the official DEB's scripts did through debhelper for its unit
 * (dh_systemd_enable, dh_systemd_start at compat 9): enable it on first
 * install, stop it before removal or upgrade, start it after; written here
 * with the same init-system-helpers commands, and only when systemd runs
 * (a chroot or image build has none).
 */
export function debSystemdParts(unit: string): Omit<ScriptParts, 'beforeInstall'> {
  const u = shQuote(unit);
  return {
    afterInstall: [
      'if command -v deb-systemd-helper >/dev/null 2>&1; then',
      `  deb-systemd-helper unmask ${u} >/dev/null || true`,
      `  if deb-systemd-helper --quiet was-enabled ${u}; then deb-systemd-helper enable ${u} >/dev/null || true;`,
      `  else deb-systemd-helper update-state ${u} >/dev/null || true; fi`,
      'fi',
      'if [ -d /run/systemd/system ]; then',
      '  systemctl --system daemon-reload >/dev/null || true',
      `  deb-systemd-invoke start ${u} >/dev/null || true`,
      'fi',
    ],
    beforeRemove: ['if [ -d /run/systemd/system ]; then', `  deb-systemd-invoke stop ${u} >/dev/null || true`, 'fi'],
    afterRemove: [
      'if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi',
      'if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null 2>&1; then',
      `  deb-systemd-helper purge ${u} >/dev/null || true`,
      `  deb-systemd-helper unmask ${u} >/dev/null || true`,
      'fi',
    ],
  };
}
