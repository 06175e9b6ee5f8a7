#!/usr/bin/env node
// Benchmark: kpatch's start-up cost against `node -e 0`, in one run (issue 17 §3).
// NPD runs `kpatch doctor` on every node at a fixed interval, so its own cost is
// paid fleet-wide. For each case: median wall time and median peak RSS (GNU time's
// %M, package `time`) over --runs runs, the cases interleaved round-robin so that
// load from other processes falls on all of them alike, with ratios against the
// baseline `node -e 0` measured in the same run.
// Targets: `kpatch doctor` (--format npd when `doctor --help` lists it, else --json)
// on a fake node with 1,000 memory cgroups at most 0.12 s wall and 50 MiB peak;
// every command's start-up at most 2x `node -e 0`. A command's start-up is measured
// as a run that stops at its first refusal of the input (a missing folder, a bad tag):
// everything kpatch loads and checks before it touches the user's input. Help
// (`--version`, `--help`, `<cmd> --help`), which also renders text, is measured too
// and held to the same target.
// Usage: node scripts/bench-startup.mjs [--runs 11] [--cgroups 1000] [--only doctor,scan]
// Exit 0 when every target is met, 1 when one is missed (the figures are printed either way).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const RUNS = Number(args.runs ?? 11);
const CGROUPS = Number(args.cgroups ?? 1000);
const ONLY = args.only ? args.only.split(',') : undefined;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/kpatch.js');
const TIME = '/usr/bin/time';
const DOCTOR_WALL_S = 0.12;
const DOCTOR_PEAK_MIB = 50;
const STARTUP_RATIO = 2;

if (!existsSync(TIME)) {
  console.error(`${TIME} (GNU time) is missing: install the Debian package \`time\` (scripts/install-deps.sh does)`);
  process.exit(2);
}
if (!existsSync(path.join(ROOT, 'dist/src/cli.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bench-startup-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** A cgroup v1 node as doctor reads it (the layout of test/doctor/fakeNode.ts): `count` pod cgroups with kmem on. */
function fakeNode(count) {
  const root = path.join(work, 'node');
  const put = (rel, text) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  const slabinfo = 'slabinfo - version: 2.1\n# name <active_objs> <num_objs> <objsize> : tunables <limit> : slabdata <active_slabs>\n';
  const kmem = (dir, on) => {
    mkdirSync(dir, { recursive: true });
    if (on) writeFileSync(path.join(dir, 'memory.kmem.slabinfo'), slabinfo);
    writeFileSync(path.join(dir, 'memory.kmem.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(path.join(dir, 'memory.kmem.usage_in_bytes'), on ? '3452928\n' : '0\n');
    writeFileSync(path.join(dir, 'memory.limit_in_bytes'), '9223372036854771712\n');
  };
  put('proc/sys/kernel/osrelease', '3.10.0-957.el7.x86_64\n');
  put('proc/cmdline', 'BOOT_IMAGE=/vmlinuz ro crashkernel=auto\n');
  put(
    'proc/self/mountinfo',
    [
      '25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
      '26 30 0:4 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw',
      '31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755',
      '36 31 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory',
    ].join('\n') + '\n',
  );
  const mem = path.join(root, 'sys/fs/cgroup/memory');
  kmem(mem, false);
  kmem(path.join(mem, 'kubepods'), true);
  kmem(path.join(mem, 'kubepods/burstable'), true);
  for (let i = 0; i < count; i++)
    kmem(path.join(mem, `kubepods/burstable/pod${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`), true);
  put('proc/cgroups', `#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t11\t${count + 3}\t1\n`);
  return root;
}

/** A small Go tree with the unguarded call site, for `kpatch scan --src`. */
function smallTree() {
  const root = path.join(work, 'tree');
  const fs = path.join(root, 'vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs');
  mkdirSync(fs, { recursive: true });
  writeFileSync(
    path.join(fs, 'memory.go'),
    'package fs\n\nimport "os"\n\ntype MemoryGroup struct{}\n\nfunc (s *MemoryGroup) Apply(path string) error {\n\tif _, err := os.Stat(path); os.IsNotExist(err) {\n\t\tif err := os.MkdirAll(path, 0755); err != nil {\n\t\t\treturn err\n\t\t}\n\t\tif err := EnableKernelMemoryAccounting(path); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n\treturn nil\n}\n',
  );
  writeFileSync(
    path.join(fs, 'kmem.go'),
    '// +build linux,!nokmem\n\npackage fs\n\nfunc EnableKernelMemoryAccounting(path string) error {\n\treturn nil\n}\n',
  );
  for (let i = 0; i < 20; i++) writeFileSync(path.join(root, `f${i}.go`), `package main\n\nfunc f${i}() int { return ${i} }\n`);
  return root;
}

/** One run of `argv` under GNU time: wall seconds (hrtime around the run) and peak RSS in KiB. */
function once(argv) {
  const out = path.join(work, 'time.out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M', '-o', out, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { wall, kib: Number(readFileSync(out, 'utf8').trim().split('\n').pop()), status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kpatch = (...a) => [process.execPath, BIN, ...a];

// The cases: the baseline first, then every command's start-up, then the real work.
const help = once(kpatch('--help'));
const commands = [...help.stdout.matchAll(/^\s+kpatch (\w+)/gm)].map((m) => m[1]).filter((c, i, all) => all.indexOf(c) === i);
if (commands.length === 0) throw new Error(`no commands in kpatch --help:\n${help.stdout}${help.stderr}`);
const npd = /--format\b[^\n]*\bnpd\b/.test(once(kpatch('doctor', '--help')).stdout);
const missing = path.join(work, 'missing');
/** Per command, arguments it refuses at its first check (config has none to refuse: it prints the settings). */
const FIRST_REFUSAL = {
  build: ['--src', missing],
  verify: [missing],
  sign: [missing, '--sign-key', missing],
  fetch: ['--k8s', 'not-a-tag'],
  scan: ['--src', missing],
  diff: ['--src', missing],
  patch: ['--src', missing],
  doctor: ['--root', missing, '--format', 'npd'],
  matrix: ['--k8s', 'not-a-tag'],
  config: [],
};
for (const c of commands) if (!FIRST_REFUSAL[c]) throw new Error(`bench-startup: no first-refusal arguments for the new command ${c}`);
const node = fakeNode(CGROUPS);
const tree = smallTree();
const cases = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'], kind: 'baseline' },
  { name: 'kpatch --version', argv: kpatch('--version'), kind: 'startup' },
  ...commands.map((c) => ({
    name: `kpatch ${[c, ...FIRST_REFUSAL[c]].map((a) => (a === missing ? '<missing>' : a)).join(' ')}`,
    argv: kpatch(c, ...FIRST_REFUSAL[c]),
    kind: 'startup',
    ok: [0, 1, 2],
  })),
  { name: 'kpatch --help', argv: kpatch('--help'), kind: 'startup' },
  ...commands.map((c) => ({ name: `kpatch ${c} --help`, argv: kpatch(c, '--help'), kind: 'startup' })),
  { name: 'kpatch scan (small tree)', argv: kpatch('scan', '--src', tree, '--json'), kind: 'work', ok: [0] },
  {
    name: `kpatch doctor ${npd ? '--format npd' : '--json'} (${CGROUPS} cgroups)`,
    argv: kpatch('doctor', '--root', node, ...(npd ? ['--format', 'npd'] : ['--json'])),
    kind: 'doctor',
    ok: [0, 1],
  },
].filter((c) => c.kind === 'baseline' || !ONLY || ONLY.some((o) => c.name.includes(o)));

// Warm the page cache once, and check each case does what it should (a failing command is not a start-up figure).
for (const c of cases) {
  const r = once(c.argv);
  if (!(c.ok ?? [0]).includes(r.status)) throw new Error(`${c.name} exited ${r.status}:\n${r.stdout}${r.stderr}`);
}
const samples = new Map(cases.map((c) => [c.name, { wall: [], kib: [] }]));
for (let i = 0; i < RUNS; i++) {
  for (const c of cases) {
    const r = once(c.argv);
    samples.get(c.name).wall.push(r.wall);
    samples.get(c.name).kib.push(r.kib);
  }
}

const base = { wall: median(samples.get('node -e 0').wall), kib: median(samples.get('node -e 0').kib) };
console.log(
  `kpatch start-up, median of ${RUNS} runs (interleaved); node ${process.version}; ${os.cpus().length} CPUs; load ${os.loadavg()[0].toFixed(1)}`,
);
console.log(
  `${'case'.padEnd(56)} ${'wall s'.padStart(7)} ${'x node'.padStart(7)} ${'peak MiB'.padStart(9)} ${'x node'.padStart(7)}  target`,
);
let missed = 0;
for (const c of cases) {
  const s = samples.get(c.name);
  const wall = median(s.wall);
  const mib = median(s.kib) / 1024;
  const ratio = wall / base.wall;
  let target = '';
  if (c.kind === 'startup') {
    const ok = ratio <= STARTUP_RATIO;
    target = `${ok ? 'ok' : 'MISSED'}: <= ${STARTUP_RATIO}x node`;
    if (!ok) missed++;
  } else if (c.kind === 'doctor') {
    const ok = wall <= DOCTOR_WALL_S && mib <= DOCTOR_PEAK_MIB;
    target = `${ok ? 'ok' : 'MISSED'}: <= ${DOCTOR_WALL_S} s, <= ${DOCTOR_PEAK_MIB} MiB`;
    if (!ok) missed++;
  }
  console.log(
    `${c.name.padEnd(56)} ${wall.toFixed(3).padStart(7)} ${ratio.toFixed(2).padStart(7)} ${mib.toFixed(1).padStart(9)} ${(median(s.kib) / base.kib).toFixed(2).padStart(7)}  ${target}`,
  );
}
process.exitCode = missed ? 1 : 0;
