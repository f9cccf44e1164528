#!/usr/bin/env node
// Builds the mini-program package: tsc compiles src/ to CommonJS (ES2015) in miniprogram_dist/,
// then the component's json, wxml and wxss files, which tsc does not know, are copied beside
// the compiled js. `--out-dir <dir>` builds elsewhere (the component tests build a private copy).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(packageDir, 'src');
const ASSET_EXTENSIONS = ['.json', '.wxml', '.wxss', '.wxs'];

function outDirFromArguments(args) {
  const at = args.indexOf('--out-dir');
  if (at < 0) return join(packageDir, 'miniprogram_dist');
  const value = args[at + 1];
  if (!value) throw new Error('--out-dir needs a directory');
  return resolve(value);
}

function* assetsUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* assetsUnder(path);
    else if (ASSET_EXTENSIONS.some((extension) => entry.name.endsWith(extension))) yield path;
  }
}

const outDir = outDirFromArguments(process.argv.slice(2));
rmSync(outDir, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(
  process.execPath,
  [tsc, '-p', join(packageDir, 'tsconfig.build.json'), '--outDir', outDir],
  { stdio: 'inherit' },
);
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const asset of assetsUnder(sourceDir)) {
  const target = join(outDir, relative(sourceDir, asset));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(asset, target);
}
