#!/usr/bin/env node
// Runs the Prisma CLI offline. `generate` only needs an engine path to exist (the client we
// generate uses the query compiler and a driver adapter, never the Rust query engine), and
// migrations go through the WebAssembly schema engine configured in prisma.config.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const placeholder = path.join(root, 'node_modules', '.cache', 'minapush', 'no-rust-engine');
if (!existsSync(placeholder)) {
  mkdirSync(path.dirname(placeholder), { recursive: true });
  writeFileSync(placeholder, 'The Rust engines are not used: see prisma.config.ts\n');
}
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? placeholder,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const result = spawnSync(path.join(root, 'node_modules', '.bin', 'prisma'), process.argv.slice(2), {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
