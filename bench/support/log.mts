// Progress goes to stderr, so that stdout carries only the final table (and can be piped).
const started = performance.now();

function stamp(): string {
  const seconds = (performance.now() - started) / 1000;
  return `${seconds.toFixed(1).padStart(6)}s`;
}

/** One progress line: `  12.3s limit: minted 10000 formIds`. */
export function say(scope: string, message: string): void {
  process.stderr.write(`${stamp()} ${scope}: ${message}\n`);
}

/** A problem the reader must not miss (a correctness check failed, a child died). */
export function shout(scope: string, message: string): void {
  const line = '!'.repeat(100);
  process.stderr.write(`${line}\n${stamp()} ${scope}: ${message}\n${line}\n`);
}
