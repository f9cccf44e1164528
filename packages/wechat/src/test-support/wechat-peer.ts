import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  body: string;
}

/** What the peer does with a request once it has read it whole. */
export type PeerBehaviour = (request: ReceivedRequest, res: ServerResponse, req: IncomingMessage) => void;

export interface WechatPeer {
  baseUrl: string;
  /** every request the peer read, in order */
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export function answerJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' }).end(text);
}

/**
 * A real HTTP server on an ephemeral port that plays WeChat as each test scripts it: tests use it to
 * produce what only a network peer can (silence, a dropped socket, a 502), which the sandbox's
 * fault API also offers but this package must not depend on an app.
 */
export async function startWechatPeer(behaviour: PeerBehaviour): Promise<WechatPeer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://peer');
      const request: ReceivedRequest = {
        method: req.method ?? '',
        pathname: url.pathname,
        query: url.searchParams,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      behaviour(request, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A base URL on which nothing listens: a port that was just free. */
export async function unusedBaseUrl(): Promise<string> {
  const peer = await startWechatPeer(() => {});
  await peer.close();
  return peer.baseUrl;
}
