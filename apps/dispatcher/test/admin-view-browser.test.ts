// The admin view in a real browser (playwright-core driving Debian's Chromium): it logs into /admin
// and Bull Board, finds a seeded app's credit inventory and a running broadcast's progress moving
// on the page, and saves screenshots under test-output/admin-view/. The ingest API, the dispatcher,
// the sandbox, Postgres and Redis are the real ones of the dispatch harness.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import {
  type DispatchHarness,
  LEGACY_TEMPLATE,
  SUBSCRIBE_TEMPLATE,
  startDispatchHarness,
  waitFor,
} from './harness.js';

const ADMIN = { username: 'ops', password: `pw-${crypto.randomUUID()}` };
const USERS = 40;
/** Messages a second: slow, so the broadcast of USERS runs long enough to be watched */
const SEND_RATE = 2;
export const SCREENSHOTS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-output',
  'admin-view',
);

let h: DispatchHarness;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Chromium first: its set-up may install it (minutes), before the harness's clocks start
  browser = await launchChromium();
  h = await startDispatchHarness({ admin: ADMIN, sendRatePerSecond: SEND_RATE, batchSize: 10 });
  context = await browser.newContext({
    httpCredentials: { ...ADMIN, origin: h.ingestUrl },
    viewport: { width: 1280, height: 900 },
  });
}, 900_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
});

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: Array<{ id: string; opts: { removeOnComplete?: unknown } }>;
}

describe('the admin view in a browser', () => {
  it('answers 401 to /admin and /admin/queues without credentials', async () => {
    for (const page of ['/admin', '/admin/queues']) {
      const response = await fetch(`${h.ingestUrl}${page}`);
      expect(response.status, page).toBe(401);
    }
  });

  it("shows a seeded app's inventory, then a running broadcast's progress moving live", async () => {
    await h.seedUsersWithFormIds(USERS);
    await h.userWithSubscription(1, SUBSCRIBE_TEMPLATE);

    const page = await context.newPage();
    await page.goto(`${h.ingestUrl}/admin`);
    const app = page.locator(`section[data-app="${h.app.appId}"]`);
    const inventory = app.locator('[data-card="inventory"]');
    expect(await inventory.locator('[data-field="users"]').textContent()).toBe(String(USERS + 1));
    expect(await inventory.locator('[data-field="reachable-by-form-id"]').textContent()).toBe(String(USERS));
    expect(await inventory.locator(`[data-subscribe-template="${SUBSCRIBE_TEMPLATE}"]`).textContent()).toBe(
      '1',
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-inventory.png'), fullPage: true });

    const created = await h.api<{ id: string }>('POST', '/v1/broadcasts', {
      kind: 'template',
      templateId: LEGACY_TEMPLATE,
      data: { keyword1: 'sale starts' },
      audience: { type: 'all' },
    });
    expect(created.status).toBe(202);
    const broadcastId = created.body.id;
    // running, with some messages settled and many to go
    await waitFor('the broadcast to be running with a message sent', async () => {
      const view = await h.api<{ status: string; sent: number }>('GET', `/v1/broadcasts/${broadcastId}`);
      return view.body.status === 'running' && view.body.sent > 0;
    });

    await page.reload();
    const row = page.locator(`tr[data-broadcast="${broadcastId}"]`);
    expect(await row.locator('[data-field="status"]').textContent()).toBe('running');
    const bar = row.locator('progress');
    const total = Number(await bar.getAttribute('max'));
    expect(total).toBe(USERS + 1);
    // the bar's live value (the property the page's script sets), not the attribute it was served with
    const barValue = () => bar.evaluate((element) => (element as unknown as { value: number }).value);
    const first = await barValue();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(total);
    // the page polls /admin/api/broadcasts: the bar moves without a reload
    await waitFor('the bar to move without a reload', async () => (await barValue()) > first, 60_000, 200);
    const sentOnPage = Number(await row.locator('[data-field="sent"]').textContent());
    expect(sentOnPage).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-broadcast-running.png'), fullPage: true });
    await page.close();
  }, 180_000);

  it("looks a user up: what can be sent to them, their last messages and each message's attempts", async () => {
    const { openid } = await h.userWithFormIds(2);
    const id = await h.sendTemplate(openid);
    const sent = await h.waitUntilFinal(id);
    expect(sent.status).toBe('sent');

    const page = await context.newPage();
    await page.goto(`${h.ingestUrl}/admin`);
    await page.locator('header select[name="app"]').selectOption(h.app.appId);
    await page.locator('header input[name="openid"]').fill(openid);
    await page.locator('header button[type="submit"]').click();
    await page.waitForURL(/\/admin\/users\?/);
    expect(await page.locator('[data-field="openid"]').textContent()).toBe(openid);
    expect(await page.locator('[data-field="form-ids-usable"]').textContent()).toBe('1');
    const message = page.locator(`tr[data-message="${id}"]`);
    expect(await message.textContent()).toContain('sent');
    expect(await message.locator('li').count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-user.png'), fullPage: true });
    await page.close();
  });

  it("opens Bull Board, which lists every queue and keeps the send queue's completed jobs, bounded", async () => {
    const queues = [
      `message-send-${h.app.appId}`,
      `message-bulk-${h.app.appId}`,
      'broadcast-fanout',
      'token-refresh',
      'credit-ingest',
      'dispatcher-maintenance',
    ];
    const page = await context.newPage();
    await page.goto(`${h.ingestUrl}/admin/queues`);
    for (const name of queues) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board.png'), fullPage: true });

    // a single message goes through the send queue: its job is still there once it is sent
    const { openid } = await h.userWithFormIds(1);
    expect((await h.waitUntilFinal(await h.sendTemplate(openid))).status).toBe('sent');
    const send = `message-send-${h.app.appId}`;
    const answer = await page.request.get(
      `${h.ingestUrl}/admin/queues/api/queues?activeQueue=${send}&status=completed&page=1`,
    );
    expect(answer.status()).toBe(200);
    const board = (await answer.json()) as { queues: BoardQueue[] };
    const sendQueue = board.queues.find((queue) => queue.name === send);
    expect(sendQueue?.counts.completed).toBeGreaterThanOrEqual(1);
    expect(sendQueue?.jobs.length).toBeGreaterThanOrEqual(1);
    expect(sendQueue?.jobs[0]?.opts.removeOnComplete).toEqual({ count: 1_000, age: 86_400 });
    await page.goto(`${h.ingestUrl}/admin/queues/queue/${send}?status=completed`);
    await page.getByText('send-message').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board-send-queue.png'), fullPage: true });
    await page.close();
  });
});
