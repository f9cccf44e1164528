import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliEnvironment, DEFAULT_URL, parseUrlOption } from './config.js';
import { UsageError } from './errors.js';

/** The checkout this CLI is part of (packages/cli/dist/… → the root). */
const checkoutRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Connection {
  url: string;
  apiKey: string;
  /** where the key came from, for a 401's hint (never the key itself) */
  apiKeySource: '--api-key flag' | 'MINAPUSH_API_KEY environment variable' | 'local key file';
}

export interface ConnectionFlags {
  url?: string | undefined;
  apiKey?: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where to send requests and with which key: a flag wins over the environment. Without either
 * key, a checkout where `npm start` generated its local key (.minapush/api-key) uses that key, but
 * only towards this machine: the local key is never sent anywhere else.
 */
export function resolveConnection(flags: ConnectionFlags, environment: CliEnvironment): Connection {
  let url = environment.url ?? DEFAULT_URL;
  if (flags.url !== undefined) {
    const parsed = parseUrlOption(flags.url);
    if (!parsed.ok) throw new UsageError(`--url ${parsed.message}`);
    url = parsed.url;
  }
  if (flags.apiKey !== undefined && flags.apiKey.trim() !== '') {
    return { url, apiKey: flags.apiKey.trim(), apiKeySource: '--api-key flag' };
  }
  if (environment.apiKey !== undefined) {
    return { url, apiKey: environment.apiKey, apiKeySource: 'MINAPUSH_API_KEY environment variable' };
  }
  const local = LOOPBACK_HOSTS.has(new URL(url).hostname) ? readLocalKey(environment.stateDir) : undefined;
  if (local !== undefined) return { url, apiKey: local, apiKeySource: 'local key file' };
  throw new UsageError(
    'no API key: set MINAPUSH_API_KEY (or pass --api-key) to one of the server’s API_KEYS ' +
      '(`npm start` prints its local key and keeps it in .minapush/api-key).',
  );
}

function readLocalKey(stateDir: string | undefined): string | undefined {
  const file = path.join(path.resolve(checkoutRoot, stateDir ?? '.minapush'), 'api-key');
  if (!existsSync(file)) return undefined;
  const key = readFileSync(file, 'utf8').trim();
  return key === '' ? undefined : key;
}
