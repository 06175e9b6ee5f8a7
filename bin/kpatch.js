#!/usr/bin/env node
// The only place that touches the real process: everything else goes through run().
import v8 from 'node:v8';

// `kpatch doctor` is a short, I/O-bound probe that node-problem-detector runs
// on every node every minute. V8's optimising compiler (TurboFan) would compile
// its hot loops on a background thread, about 5 MiB of the probe's peak memory,
// for no gain in a run of a tenth of a second (scripts/bench-startup.mjs,
// docs/benchmarks.md). Set before any of kpatch is loaded; other commands keep it.
if (process.argv[2] === 'doctor') v8.setFlagsFromString('--no-opt');

const { run } = await import('../dist/src/cli.js');
const { SIGNAL_EXIT } = await import('../dist/src/errors.js');
const { guardStream } = await import('../dist/src/io.js');

// The first SIGINT (Ctrl-C), SIGTERM (kill, systemd, a CI timeout) or SIGHUP
// (the terminal or SSH session closed) asks the running command to stop and
// clean up (kill make or the container, wait for git, remove temporary trees
// and output) and exit 130, 143 or 129; a second signal exits at once.
const controller = new AbortController();
let interrupts = 0;
const onSignal = (signal) => {
  interrupts += 1;
  if (interrupts > 1) process.exit(SIGNAL_EXIT[signal] ?? 130);
  controller.abort(signal);
};
for (const signal of Object.keys(SIGNAL_EXIT)) process.on(signal, onSignal);

// A closed pipe or a full disk on stdout/stderr must not crash kpatch halfway
// through its clean-up (see guardStream); a lost stdout makes the run fail.
const code = await run(process.argv.slice(2), {
  stdout: guardStream(process.stdout),
  stderr: guardStream(process.stderr),
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
const signal = controller.signal.aborted ? controller.signal.reason : undefined;
process.exit(signal && code !== 0 ? (SIGNAL_EXIT[signal] ?? 130) : code);
