import { createMinapush, type Minapush, type MinapushError, type MinapushOptions } from '../../src/index.js';
import { ApiStandIn, FakeWx } from './fake-wx.js';

export const BASE_URL = 'https://push.example.test';
export const APP_ID = 'wx-test-app';
export const DAY_MS = 86_400_000;

export const START = Date.parse('2026-03-02T08:00:00Z');

/**
 * A mini-program "device": one wx stand-in (its storage outlives clients, like a phone's across
 * app restarts), a clock the test moves, and the clients started on it. With `clock: 'system'`
 * the device reads Date.now(), for tests that fake timers and the date together.
 */
export function createDevice(options: { clock?: 'own' | 'system' } = {}) {
  let clock = START;
  const now = options.clock === 'system' ? () => Date.now() : () => clock;
  const api = new ApiStandIn('o-user-1', now);
  const wx = new FakeWx(api.respond);
  const errors: MinapushError[] = [];
  const clients: Minapush[] = [];

  return {
    api,
    wx,
    errors,
    now,
    get clock() {
      return now();
    },
    advance(ms: number) {
      if (options.clock === 'system') throw new Error('advance fake timers instead');
      clock += ms;
    },
    /** starts the app: a fresh client on the same storage */
    launch(options: Partial<MinapushOptions> = {}): Minapush {
      const client = createMinapush({
        baseUrl: BASE_URL,
        appId: APP_ID,
        wx,
        now,
        flushIntervalMs: 60 * 60_000,
        onError: (error) => errors.push(error),
        ...options,
      });
      clients.push(client);
      return client;
    },
    /** the app is killed: timers stop, memory is gone, storage stays */
    kill(client: Minapush) {
      client.destroy();
    },
    destroyAll() {
      for (const client of clients) client.destroy();
    },
  };
}

export type Device = ReturnType<typeof createDevice>;
