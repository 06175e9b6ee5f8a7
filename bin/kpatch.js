#!/usr/bin/env node
// The only place that touches the real process: everything else goes through run().
import { run } from '../dist/src/cli.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exit(code);
