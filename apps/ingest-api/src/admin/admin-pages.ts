import type { AppInventory, MessageAttemptView, UserCredits } from '@minapush/db';
import type { AppStatus } from './app-status.js';
import { html, type SafeHtml, unescaped } from './html.js';

/** Where Bull Board is mounted; the admin view links into it. */
export const BOARD_PATH = '/admin/queues';

/** A broadcast as the admin view shows it: its counts per status, as GET /v1/broadcasts/:id. */
export interface BroadcastProgress {
  id: string;
  appId: string;
  status: string;
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  unknown: number;
  pending: number;
  createdAt: Date;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  pausedReason?: string | null;
}

/** What GET /v1/apps/:appId/inventory answers. */
export type InventoryView = AppInventory;

/** What GET /v1/apps/:appId/users/:openid/credits answers. */
export type UserCreditsView = Pick<UserCredits, 'formIds' | 'subscribe'>;

export interface MessageView {
  id: string;
  status: string;
  kind: string;
  templateId: string;
  broadcastId?: string | null | undefined;
  createdAt: Date;
  sentAt?: Date | null | undefined;
  errcode?: number | null | undefined;
  errmsg?: string | null | undefined;
  attempts: MessageAttemptView[];
}

export interface PageContext {
  appIds: readonly string[];
  readOnly: boolean;
  /** the nonce of this response's Content-Security-Policy, for the one inline script and style */
  nonce: string;
  now: Date;
}

const LIVE_STATUSES = new Set(['scheduled', 'running', 'paused']);

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header a{color:#cfe3ff}header strong{font-size:16px}
main{padding:16px 20px;max-width:1200px}
section.app{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #e4e7ec;border-radius:4px;padding:8px 12px;min-width:230px}
.card h3{margin:0 0 6px;font-size:13px;text-transform:uppercase;color:#5b6475}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-size:12px;color:#5b6475}progress{width:180px;height:14px}
.ok{color:#137333}.bad{color:#b3261e}.warn{color:#a05a00}.muted{color:#6b7280}
.badge{font-size:12px;padding:1px 6px;border-radius:8px;background:#e8eaee;color:#1d2330}
form.inline{display:inline}code{font-size:12px}
`;

/**
 * Refreshes every live broadcast's bar from /admin/api/broadcasts every two seconds. Values are
 * written with textContent and element properties only: nothing from the answer becomes markup.
 */
const PROGRESS_SCRIPT = `
(() => {
  const live = () => [...document.querySelectorAll('[data-broadcast][data-live="true"]')];
  async function refresh() {
    const rows = live();
    if (rows.length === 0) return;
    const ids = rows.map((row) => row.dataset.broadcast).join(',');
    try {
      const response = await fetch('/admin/api/broadcasts?ids=' + encodeURIComponent(ids), { headers: { accept: 'application/json' } });
      if (!response.ok) return;
      const { items } = await response.json();
      for (const b of items) {
        const row = rows.find((candidate) => candidate.dataset.broadcast === b.id);
        if (!row) continue;
        const bar = row.querySelector('progress');
        const settled = b.sent + b.failed + b.skipped + b.unknown;
        bar.max = Math.max(1, b.total);
        bar.value = settled;
        for (const field of ['status', 'total', 'sent', 'failed', 'skipped', 'unknown', 'pending']) {
          const cell = row.querySelector('[data-field="' + field + '"]');
          if (cell) cell.textContent = String(b[field]);
        }
        const percent = row.querySelector('[data-field="percent"]');
        if (percent) percent.textContent = b.total > 0 ? Math.floor((100 * settled) / b.total) + '%' : '';
        if (!['scheduled', 'running', 'paused'].includes(b.status)) row.dataset.live = 'false';
      }
    } catch {
      // the next tick tries again
    }
  }
  setInterval(refresh, 2000);
})();
`;

function layout(context: PageContext, title: string, body: SafeHtml): SafeHtml {
  const appOptions = context.appIds.map((appId) => html`<option value="${appId}">${appId}</option>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · minapush admin</title>
<style nonce="${context.nonce}">${unescaped(STYLE)}</style>
</head>
<body>
<header>
  <strong><a href="/admin">minapush admin</a></strong>
  <a href="${BOARD_PATH}">Bull Board (every queue)</a>
  <form action="/admin/users" method="get" class="inline">
    <select name="app" aria-label="app">${appOptions}</select>
    <input name="openid" placeholder="openid" aria-label="openid" required maxlength="128">
    <button type="submit">Look up user</button>
  </form>
  <span class="badge">${context.readOnly ? 'read-only (ADMIN_READ_ONLY)' : 'actions enabled'}</span>
</header>
<main>
${body}
</main>
<script nonce="${context.nonce}">${unescaped(PROGRESS_SCRIPT)}</script>
</body>
</html>`;
}

const when = (date: Date | null | undefined) => (date ? date.toISOString().replace('.000Z', 'Z') : '');

/** "in 1 h 5 min" / "3 min ago", for expiries and pauses. */
export function relativeTime(to: Date, now: Date): string {
  const seconds = Math.round((to.getTime() - now.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  const text =
    magnitude < 60
      ? `${magnitude} s`
      : magnitude < 3600
        ? `${Math.floor(magnitude / 60)} min`
        : `${Math.floor(magnitude / 3600)} h ${Math.floor((magnitude % 3600) / 60)} min`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

function tokenCard(status: AppStatus, now: Date): SafeHtml {
  const { health, token } = status;
  const healthLine = health.healthy
    ? html`<div class="ok">credentials accepted</div>`
    : html`<div class="bad">WeChat refuses the credentials (${health.code}${health.errcode === undefined ? '' : `, errcode ${health.errcode}`}) since ${when(new Date(health.since))}; next try ${relativeTime(new Date(health.retryAt), now)}</div>`;
  const tokenLine = token
    ? html`<div>expires <span title="${when(token.expiresAt)}">${relativeTime(token.expiresAt, now)}</span> <span class="muted">(fetched ${when(token.fetchedAt)})</span></div>`
    : html`<div class="warn">no token in Redis: the next send or the refresher fetches one</div>`;
  return html`<div class="card" data-card="token"><h3>access_token (${status.tokenMode})</h3>
${healthLine}${tokenLine}</div>`;
}

function quotaCard(status: AppStatus, now: Date): SafeHtml {
  const { used, dailyLimit } = status.tokenFetches;
  const pause = status.sendPausedUntil
    ? html`<div class="bad">sending paused by WeChat's quota until ${when(status.sendPausedUntil)} (${relativeTime(status.sendPausedUntil, now)})</div>`
    : html`<div class="ok">sending not paused</div>`;
  const cut = status.sendRateCut
    ? html`<div class="warn">rate cut to ${status.sendRateCut.reducedTo}/s by a 45011 at ${when(status.sendRateCut.at)}, climbing back</div>`
    : '';
  return html`<div class="card" data-card="quota"><h3>daily quota</h3>
<div>token fetches today: <span data-field="token-fetches">${used}</span> of ${dailyLimit}
<progress max="${dailyLimit}" value="${Math.min(used, dailyLimit)}"></progress></div>
${pause}${cut}<div class="muted">send rate: ${status.sendRatePerSecond}/s</div></div>`;
}

function inventoryCard(inventory: InventoryView | undefined): SafeHtml {
  if (!inventory) return html`<div class="card" data-card="inventory"><h3>credit inventory</h3>—</div>`;
  const templates = Object.entries(inventory.reachableBySubscribe).sort(([a], [b]) => a.localeCompare(b));
  return html`<div class="card" data-card="inventory"><h3>credit inventory</h3>
<table>
<tr><td>users</td><td data-field="users">${inventory.users}</td></tr>
<tr><td>reachable by formId / prepay_id</td><td data-field="reachable-by-form-id">${inventory.reachableByFormId}</td></tr>
<tr><td>formIds expiring within 24 h</td><td data-field="expiring-24h">${inventory.formIdsExpiringWithin24h}</td></tr>
${templates.map(([templateId, users]) => html`<tr><td>subscribed to <code>${templateId}</code></td><td data-subscribe-template="${templateId}">${users}</td></tr>`)}
</table></div>`;
}

function broadcastActions(broadcast: BroadcastProgress, context: PageContext): SafeHtml {
  if (context.readOnly || !LIVE_STATUSES.has(broadcast.status)) return html``;
  const resume =
    broadcast.status === 'paused'
      ? html`<form class="inline" method="post" action="/admin/broadcasts/${broadcast.id}/resume"><button type="submit">Resume</button></form>`
      : '';
  return html`${resume}<form class="inline" method="post" action="/admin/broadcasts/${broadcast.id}/cancel"><button type="submit">Cancel</button></form>`;
}

export function broadcastsTable(broadcasts: readonly BroadcastProgress[], context: PageContext): SafeHtml {
  if (broadcasts.length === 0) return html`<p class="muted">No broadcasts yet.</p>`;
  const rows = broadcasts.map((b) => {
    const settled = b.sent + b.failed + b.skipped + b.unknown;
    const percent = b.total > 0 ? `${Math.floor((100 * settled) / b.total)}%` : '';
    return html`<tr data-broadcast="${b.id}" data-live="${LIVE_STATUSES.has(b.status) ? 'true' : 'false'}">
<td><code>${b.id}</code><br><span class="muted">${when(b.createdAt)}</span></td>
<td><span data-field="status">${b.status}</span>${b.pausedReason ? html`<br><span class="warn">${b.pausedReason}</span>` : ''}</td>
<td><progress max="${Math.max(1, b.total)}" value="${settled}"></progress> <span data-field="percent">${percent}</span></td>
<td>total <span data-field="total">${b.total}</span> · sent <span data-field="sent">${b.sent}</span> · failed <span data-field="failed">${b.failed}</span> · skipped <span data-field="skipped">${b.skipped}</span> · unknown <span data-field="unknown">${b.unknown}</span> · pending <span data-field="pending">${b.pending}</span></td>
<td>${broadcastActions(b, context)}</td>
</tr>`;
  });
  return html`<table class="broadcasts"><tr><th>broadcast</th><th>status</th><th>progress</th><th>counts</th><th></th></tr>${rows}</table>`;
}

export interface AppSection {
  status: AppStatus;
  inventory: InventoryView | undefined;
  broadcasts: readonly BroadcastProgress[];
  /** the names of the app's two send queues in Bull Board */
  queues: { transactional: string; bulk: string };
}

function appSection(section: AppSection, context: PageContext): SafeHtml {
  const { status } = section;
  const queueLink = (name: string, label: string) =>
    html`<a href="${BOARD_PATH}/queue/${encodeURIComponent(name)}">${label}</a>`;
  return html`<section class="app" data-app="${status.appId}">
<h2><a href="/admin/apps/${encodeURIComponent(status.appId)}">${status.appId}</a></h2>
<div class="cards">${tokenCard(status, context.now)}${quotaCard(status, context.now)}${inventoryCard(section.inventory)}</div>
<p>Queues in Bull Board: ${queueLink(section.queues.transactional, 'single messages')} · ${queueLink(section.queues.bulk, 'broadcast batches')}</p>
<h3>Recent broadcasts</h3>
${broadcastsTable(section.broadcasts, context)}
</section>`;
}

export function overviewPage(
  sections: readonly AppSection[],
  otherQueues: readonly string[],
  context: PageContext,
  title = 'Overview',
): string {
  const queueLinks = otherQueues.map(
    (name) => html` <a href="${BOARD_PATH}/queue/${encodeURIComponent(name)}">${name}</a>`,
  );
  const body = html`${sections.map((section) => appSection(section, context))}
<p>Other queues in Bull Board:${queueLinks}</p>`;
  return layout(context, title, body).text;
}

function creditsBlock(credits: UserCreditsView): SafeHtml {
  const templates = Object.entries(credits.subscribe).sort(([a], [b]) => a.localeCompare(b));
  return html`<table class="credits">
<tr><td>usable formIds / prepay_ids</td><td data-field="form-ids-usable">${credits.formIds.usable}</td></tr>
<tr><td>messages they allow</td><td data-field="form-ids-uses-left">${credits.formIds.usesLeft}</td></tr>
<tr><td>next one expires</td><td>${when(credits.formIds.soonestExpiresAt)}</td></tr>
${templates.map(([templateId, count]) => html`<tr><td>subscribe <code>${templateId}</code></td><td data-subscribe-template="${templateId}">${count}</td></tr>`)}
</table>`;
}

function messagesBlock(messages: readonly MessageView[]): SafeHtml {
  if (messages.length === 0) return html`<p class="muted">No messages to this user.</p>`;
  const rows = messages.map((m) => {
    const attempts = m.attempts.map(
      (a) =>
        html`<li>${when(a.at)}: ${a.outcome}${a.errcode === undefined ? '' : ` (errcode ${a.errcode}${a.errmsg ? `: ${a.errmsg}` : ''})`}</li>`,
    );
    return html`<tr data-message="${m.id}">
<td><code>${m.id}</code><br><span class="muted">${when(m.createdAt)}</span></td>
<td>${m.kind} <code>${m.templateId}</code>${m.broadcastId ? html`<br><span class="muted">broadcast ${m.broadcastId}</span>` : ''}</td>
<td>${m.status}${m.errcode === null || m.errcode === undefined ? '' : html`<br><span class="bad">errcode ${m.errcode} ${m.errmsg ?? ''}</span>`}</td>
<td>${when(m.sentAt)}</td>
<td>${attempts.length > 0 ? html`<ul>${attempts}</ul>` : html`<span class="muted">none</span>`}</td>
</tr>`;
  });
  return html`<table class="messages"><tr><th>message</th><th>template</th><th>status</th><th>sent</th><th>attempts</th></tr>${rows}</table>`;
}

export function userPage(
  user: { appId: string; openid: string; credits: UserCreditsView; messages: readonly MessageView[] },
  context: PageContext,
): string {
  const body = html`<section class="app" data-user="${user.openid}">
<h2>User <code data-field="openid">${user.openid}</code> of <a href="/admin/apps/${encodeURIComponent(user.appId)}">${user.appId}</a></h2>
<h3>What can be sent now</h3>
${creditsBlock(user.credits)}
<h3>Last messages</h3>
${messagesBlock(user.messages)}
</section>`;
  return layout(context, `User ${user.openid}`, body).text;
}
