/**
 * The DEBIAN/ folder of a layout for dpkg-deb: control, conffiles, md5sums
 * (what `dpkg --verify` checks against) and the maintainer scripts.
 */
import type { PackageLayout, ScriptParts } from './layout.js';

/** A control field's multi-line value: continuation lines start with a space, empty lines are ` .`. */
function continued(lines: string[]): string {
  return lines.map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n');
}

/** The control file. `installedSizeKiB` is the sum of the files' sizes in KiB, as dpkg-gencontrol counts them. */
export function debControl(l: PackageLayout, installedSizeKiB: number): string {
  const fields: [string, string][] = [
    ['Package', l.name],
    ['Version', `${l.version}-${l.release}`],
    ['Architecture', l.arch],
    ['Maintainer', l.maintainer],
    ['Installed-Size', String(installedSizeKiB)],
    ['Depends', l.depends.join(', ')],
    ['Section', 'misc'],
    ['Priority', 'optional'],
    ['Homepage', l.url],
  ];
  const description = `Description: ${l.summary}\n${continued(l.description.flatMap((p, i) => (i ? ['', ...wrap(p)] : wrap(p))))}`;
  return [...fields.filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}`), description].join('\n') + '\n';
}

/** Wraps a paragraph at 79 columns. */
function wrap(text: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > 78) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** The conffiles list: every `config` file. */
export function debConffiles(l: PackageLayout): string {
  return l.files
    .filter((f) => f.kind === 'config')
    .map((f) => f.path + '\n')
    .join('');
}

/**
 * The maintainer scripts, by name: preinst (install, upgrade), postinst
 * (configure), prerm, postrm. Empty parts give no script.
 */
export function debScripts(s: ScriptParts): Record<string, string> {
  const out: Record<string, string> = {};
  const script = (name: string, cases: string, lines: string[]) => {
    if (!lines.length) return;
    const body = lines.map((l) => `    ${l}`).join('\n');
    out[name] = `#!/bin/sh\n# ${name} of a kpatch package\nset -e\ncase "$1" in\n  ${cases})\n${body}\n    ;;\nesac\nexit 0\n`;
  };
  script('preinst', 'install|upgrade', s.beforeInstall);
  script('postinst', 'configure', s.afterInstall);
  script('prerm', 'remove|upgrade|deconfigure', s.beforeRemove);
  script('postrm', 'remove|purge|upgrade|disappear|abort-install|abort-upgrade|failed-upgrade', s.afterRemove);
  return out;
}
