#!/usr/bin/env node
// The only place that touches the real process: everything else goes through run().
import { run } from '../dist/src/cli.js';

// The first Ctrl-C asks the running command to stop and clean up (kill make or
// the container, remove temporary trees and output) and exit 130; a second one
// exits at once.
const controller = new AbortController();
let interrupts = 0;
const onSignal = () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exit(controller.signal.aborted && code !== 0 ? 130 : code);
