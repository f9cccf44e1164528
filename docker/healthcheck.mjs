#!/usr/bin/env node
// A container's health check: `node docker/healthcheck.mjs http://127.0.0.1:3000/readyz` exits 0
// when the URL answers 2xx within 4 seconds, else 1 with what it got. The image has no curl or
// wget; Node's own fetch is enough.
const url = process.argv[2];
if (!url) {
  console.error('usage: node docker/healthcheck.mjs <url>');
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (response.ok) process.exit(0);
  console.error(`${url}: HTTP ${response.status} ${(await response.text()).slice(0, 500)}`);
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
}
process.exit(1);
