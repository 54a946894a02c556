#!/usr/bin/env node
// The `bertchat` command: a thin launcher for the compiled CLI in dist/.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`bertchat: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
