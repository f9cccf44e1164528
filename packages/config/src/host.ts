import { z } from 'zod';

/** Where every app listens unless HOST says otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * `HOST`: the address every app listens on. The default keeps the API, its generated local key and
 * the sandbox off the network; `0.0.0.0` (or `::`) opens them to it, as a container needs.
 */
export const hostSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9.:%_-]{1,253}$/,
    'expected an address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface) or :: (every interface)',
  )
  .default(DEFAULT_HOST);

/** The URL by which this machine reaches a server listening on host:port (for logs). */
export function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
