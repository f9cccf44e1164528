import type { BroadcastCaseResult, BroadcastResult } from '../scenarios/broadcast.mjs';
import type { IngestResult } from '../scenarios/ingest.mjs';
import type { LimitResult } from '../scenarios/limit.mjs';
import type { NaiveLoopResult } from '../scenarios/naive-loop.mjs';
import type { SingleMessagesResult } from '../scenarios/single-messages.mjs';
import type { TokenStormResult } from '../scenarios/token-storm.mjs';
import type { Mode } from './context.mjs';
import { ratio } from './stats.mjs';

/** The raw figures of one run, by scenario; absent when not run (--only) or failed. */
export interface Results {
  limit?: LimitResult;
  naive?: NaiveLoopResult;
  broadcast?: BroadcastResult;
  single?: SingleMessagesResult;
  ingest?: IngestResult;
  tokenStorm?: TokenStormResult;
}

export interface Ratios {
  broadcastOverNaive: number | undefined;
  broadcastOverLimit: number | undefined;
  singleOverNaive: number | undefined;
  ingestOverBareExpress: number | undefined;
}

export type Verdict = 'met' | 'missed' | 'not measured' | 'not judged (profiled)';

export interface Target {
  name: string;
  value: string;
  verdict: Verdict;
}

/**
 * The broadcast the targets judge: one dispatcher, the largest audience of the run (10k quick,
 * 100k full), so that it is the engine's steady state and not its start-up.
 */
export function headlineBroadcast(results: Results): BroadcastCaseResult | undefined {
  const single = (results.broadcast?.cases ?? []).filter((c) => c.dispatchers === 1);
  return single.sort((a, b) => b.audience - a.audience)[0];
}

export function computeRatios(results: Results): Ratios {
  const broadcast = headlineBroadcast(results)?.messagesPerSecond;
  const naive = results.naive?.messagesPerSecond;
  return {
    broadcastOverNaive: ratio(broadcast, naive),
    broadcastOverLimit: ratio(broadcast, results.limit?.messagesPerSecond),
    singleOverNaive: ratio(results.single?.messagesPerSecond, naive),
    ingestOverBareExpress: ratio(
      results.ingest?.minapush.formIdsPerSecond,
      results.ingest?.bareExpress.formIdsPerSecond,
    ),
  };
}

/**
 * Peak RSS of the one dispatcher at 100k over its peak at 10k, and whether either ran under the
 * profiler (which keeps its samples in memory: its peak then says little).
 */
function rssGrowth(results: Results): { growth: number | undefined; profiled: boolean } {
  const one = (results.broadcast?.cases ?? []).filter((c) => c.dispatchers === 1);
  const at = (audience: number) => one.find((c) => c.audience === audience);
  const [large, small] = [at(100_000), at(10_000)];
  return {
    growth: ratio(large?.dispatcherProcesses[0]?.peakRssMb, small?.dispatcherProcesses[0]?.peakRssMb),
    profiled: Boolean(large?.profiled || small?.profiled),
  };
}

const times = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(2)}×`);
const percent = (value: number | undefined) => (value === undefined ? '—' : `${(value * 100).toFixed(1)}%`);

function judge(name: string, value: number | undefined, shown: string, pass: (v: number) => boolean): Target {
  return {
    name,
    value: value === undefined ? '—' : shown,
    verdict: value === undefined ? 'not measured' : pass(value) ? 'met' : 'missed',
  };
}

/** The answers of the calls that were not a first-time delivery, e.g. ` (unknown 12, rejected 41029 12)`. */
function extraAnswers(answers: Record<string, number> | undefined): string {
  const entries = Object.entries(answers ?? {});
  return entries.length === 0
    ? ''
    : ` (${entries.map(([answer, count]) => `${answer}: ${count}`).join(', ')})`;
}

/** The project's own targets, each judged on this run's figures. */
export function judgeTargets(results: Results, ratios: Ratios, mode: Mode): Target[] {
  const idleP50 = results.single?.idle.p50Ms;
  const idleAllSent = results.single ? results.single.idle.notSentInTime === 0 : false;
  const growth = rssGrowth(results);
  const targets = [
    judge(
      'broadcast ≥ 10× naive loop',
      ratios.broadcastOverNaive,
      times(ratios.broadcastOverNaive),
      (v) => v >= 10,
    ),
    judge(
      'broadcast ≥ 30% of limit',
      ratios.broadcastOverLimit,
      percent(ratios.broadcastOverLimit),
      (v) => v >= 0.3,
    ),
    judge(
      'single messages ≥ naive loop',
      ratios.singleOverNaive,
      times(ratios.singleOverNaive),
      (v) => v >= 1,
    ),
    judge('idle enqueue-to-sent p50 < 50 ms', idleP50, duration(idleP50), (v) => v < 50 && idleAllSent),
  ];
  if (mode === 'full') {
    const rss = judge(
      'dispatcher peak RSS at 100k ≤ 1.2× at 10k',
      growth.growth,
      times(growth.growth),
      (v) => v <= 1.2,
    );
    targets.push(
      growth.profiled && rss.verdict !== 'not measured' ? { ...rss, verdict: 'not judged (profiled)' } : rss,
    );
  }
  return targets;
}

/** Correctness, not speed: a failed check fails the run (a missed target does not). */
export function judgeChecks(results: Results): Target[] {
  const checks: Target[] = [];
  for (const failure of results.broadcast?.failures ?? []) {
    checks.push({
      name: `broadcast ${failure.audience / 1000}k × ${failure.dispatchers}: completed`,
      value: 'did not finish',
      verdict: 'missed',
    });
  }
  for (const c of results.broadcast?.cases ?? []) {
    const d = c.deliveries;
    checks.push({
      name: `broadcast ${label(c)}: every user exactly one delivery`,
      value: d.ok
        ? `${d.expected.toLocaleString('en-US')} × 1`
        : `${d.missing} missing, ${d.duplicated} duplicated, ${d.unexpected} unexpected`,
      verdict: d.ok ? 'met' : 'missed',
    });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------
// The table

const integer = (value: number | undefined) =>
  value === undefined ? '—' : Math.round(value).toLocaleString('en-US');
const rate = (value: number | undefined, unit = 'msgs/s') => `${integer(value)} ${unit}`;
const share = (value: number) => `${Math.round(value * 100)}%`;

function duration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

function label(c: BroadcastCaseResult): string {
  return `${c.audience / 1000}k × ${c.dispatchers} dispatcher${c.dispatchers > 1 ? 's' : ''}`;
}

function statuses(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? '—' : entries.map(([status, n]) => `${status} ${n}`).join(', ');
}

type Row = [string, string, string];

function scenarioRows(results: Results, errors: Record<string, string>): Row[] {
  const rows: Row[] = [];
  const section = (name: string, lines: [string, string][]) => {
    lines.forEach(([figure, value], index) => {
      rows.push([index === 0 ? name : '', figure, value]);
    });
  };
  const failed = (name: string, key: string) => {
    if (errors[key]) section(name, [['FAILED', errors[key].split('\n')[0]!.slice(0, 90)]]);
  };

  const { limit, naive, single, ingest, tokenStorm } = results;
  if (limit) {
    section('limit', [
      [`sandbox template_send alone, ${integer(limit.sends)} sends`, rate(limit.messagesPerSecond)],
      [
        `  undici Pool ${limit.connections} conns, ${limit.inFlight} in flight: CPU sandbox / generator`,
        `${share(limit.sandboxCpuShare)} / ${share(limit.loadGeneratorCpuShare)} of a core`,
      ],
    ]);
  } else failed('limit', 'limit');
  if (naive) {
    section('naive loop', [
      [`${integer(naive.users)} users, one at a time (SELECT, send, DELETE)`, rate(naive.messagesPerSecond)],
    ]);
  } else failed('naive loop', 'naive');
  for (const c of results.broadcast?.cases ?? []) {
    const rss = c.dispatcherProcesses.map((d) => `${Math.round(d.peakRssMb)}`).join(' + ');
    const cpu = c.dispatcherProcesses.map((d) => share(d.cpuShareOfOneCore)).join(' + ');
    section(rows.some((r) => r[0] === 'broadcast') ? '' : 'broadcast', [
      [`${label(c)}${c.profiled ? ' (profiled)' : ''}`, rate(c.messagesPerSecond)],
      ['  delivery p50 / p99 after the POST', `${duration(c.deliveryP50Ms)} / ${duration(c.deliveryP99Ms)}`],
      ['  statuses', statuses(c.statuses)],
      ['  dispatcher peak RSS (VmHWM) / CPU', `${rss} MB / ${cpu} of a core`],
      [
        '  sandbox send calls / deliveries check',
        `${integer(c.sendCalls)} / ${c.deliveries.ok ? 'each user once' : 'FAILED'}${extraAnswers(c.otherAnswers)}`,
      ],
    ]);
  }
  for (const failure of results.broadcast?.failures ?? []) {
    section(rows.some((r) => r[0] === 'broadcast') ? '' : 'broadcast', [
      [
        `${failure.audience / 1000}k × ${failure.dispatchers}: FAILED`,
        failure.error.split('\n')[0]!.slice(0, 90),
      ],
    ]);
  }
  if (!results.broadcast) failed('broadcast', 'broadcast');
  if (single) {
    // With messages still unsent, percentiles of the sent ones alone would flatter: say so.
    const trickle = (t: SingleMessagesResult['idle']) =>
      t.notSentInTime === 0
        ? `${duration(t.p50Ms)} / ${duration(t.p99Ms)}`
        : `${t.notSentInTime} of ${t.messages} unsent ${duration(t.waitedMs)} after; sent: ${duration(t.p50Ms)} / ${duration(t.p99Ms)}`;
    section('single', [
      [
        `${integer(single.messages)} POST /v1/messages, ${single.concurrency} in flight`,
        rate(single.messagesPerSecond),
      ],
      ['  intake (202s per second)', rate(single.intakePerSecond, 'req/s')],
      [
        '  enqueue-to-sent p50 / p99',
        `${duration(single.enqueueToSentP50Ms)} / ${duration(single.enqueueToSentP99Ms)}`,
      ],
      [`  idle trickle ${single.idle.ratePerSecond}/s, p50 / p99`, trickle(single.idle)],
      [
        `  trickle during a ${single.loaded.broadcastAudience / 1000}k broadcast, p50 / p99${single.loaded.broadcastRanThroughout ? '' : ' (broadcast ended early)'}`,
        trickle(single.loaded),
      ],
    ]);
  } else failed('single', 'single');
  if (ingest) {
    section('ingest', [
      [
        `minapush POST /v1/form-ids, ${ingest.batch}/request, ${ingest.concurrency} in flight`,
        rate(ingest.minapush.formIdsPerSecond, 'formIds/s'),
      ],
      ['  stored in Postgres (from first POST)', rate(ingest.minapush.storedPerSecond, 'formIds/s')],
      ['bare express 5, same bodies', rate(ingest.bareExpress.formIdsPerSecond, 'formIds/s')],
    ]);
  } else failed('ingest', 'ingest');
  if (tokenStorm) {
    section('token storm', [
      [
        `${integer(tokenStorm.callers)} concurrent refreshes of the current token`,
        `${tokenStorm.fetchCalls} fetch (${tokenStorm.issued} new), ${duration(tokenStorm.seconds * 1000)}`,
      ],
    ]);
  } else failed('token storm', 'tokenStorm');
  return rows;
}

function ratioRows(results: Results, ratios: Ratios): Row[] {
  const headline = headlineBroadcast(results);
  const name = headline ? `broadcast ${headline.audience / 1000}k×1` : 'broadcast';
  const rows: Row[] = [
    ['ratios', `${name} ÷ naive loop`, times(ratios.broadcastOverNaive)],
    ['', `${name} ÷ limit`, percent(ratios.broadcastOverLimit)],
    ['', 'single ÷ naive loop', times(ratios.singleOverNaive)],
    ['', 'ingest ÷ bare express', percent(ratios.ingestOverBareExpress)],
  ];
  for (const c of results.broadcast?.cases ?? []) {
    if (c === headline) continue;
    rows.push([
      '',
      `broadcast ${c.audience / 1000}k×${c.dispatchers} ÷ naive loop / ÷ limit`,
      `${times(ratio(c.messagesPerSecond, results.naive?.messagesPerSecond))} / ${percent(ratio(c.messagesPerSecond, results.limit?.messagesPerSecond))}`,
    ]);
  }
  return rows;
}

function verdictRows(name: string, targets: Target[]): Row[] {
  const width = Math.max(0, ...targets.map((t) => t.value.length));
  return targets.map((t, index) => [
    index === 0 ? name : '',
    t.name,
    `${t.value.padEnd(width)}  ${t.verdict}`,
  ]);
}

/** One aligned text table: every figure, the ratios of this run, the targets and the checks. */
export function formatTable(
  results: Results,
  ratios: Ratios,
  targets: Target[],
  checks: Target[],
  errors: Record<string, string>,
): string {
  const header: Row = ['scenario', 'figure', 'value'];
  const groups = [
    scenarioRows(results, errors),
    ratioRows(results, ratios),
    verdictRows('targets', targets),
    verdictRows('checks', checks),
  ].filter((group) => group.length > 0);
  const all = [header, ...groups.flat()];
  const widths = [0, 1, 2].map((column) => Math.max(...all.map((row) => row[column]!.length)));
  const line = (row: Row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    line(header),
    rule,
    ...groups.flatMap((group, index) => [...(index > 0 ? [rule] : []), ...group.map(line)]),
  ].join('\n');
}
