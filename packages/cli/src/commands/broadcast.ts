import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { type ApiClient, pathOf } from '../api-client.js';
import {
  parseData,
  parseOpenidList,
  parseQuietHours,
  parseSendAt,
  parseWholeNumber,
} from '../command-input.js';
import { appFor, type CliContext, clientFor, printResult, remark, wantsJson } from '../context.js';
import { NotCompleted, UsageError, WatchInterrupted } from '../errors.js';
import { fields, shortTime, table } from '../format.js';
import { needsRoute } from '../missing-route.js';
import {
  type BroadcastView,
  formatCounts,
  formatDuration,
  settledCount,
} from '../progress/broadcast-progress.js';
import {
  createBarDisplay,
  createLineDisplay,
  createSilentDisplay,
  type ProgressDisplay,
} from '../progress/progress-display.js';
import { watchBroadcast } from '../progress/watch-broadcast.js';

const BROADCAST_STATUSES = ['scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
/** the API's own limit on an openids audience */
const MAX_OPENIDS = 100_000;

interface CreateOptions {
  kind: 'template' | 'subscribe';
  template: string;
  data: string[];
  page?: string;
  app?: string;
  all?: boolean;
  openids?: string;
  openidsFile?: string;
  sendAt?: string;
  idempotencyKey?: string;
  quietHours?: string;
  timezone?: string;
  dryRun?: boolean;
  watch?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function audienceOf(options: CreateOptions, context: CliContext) {
  const given = [options.all, options.openids, options.openidsFile].filter((o) => o !== undefined).length;
  if (given !== 1) {
    throw new UsageError(
      given === 0
        ? 'choose the audience: --all (every user the app has), --openids o1,o2 or --openids-file <file|->'
        : 'give one audience: --all, --openids or --openids-file',
    );
  }
  if (options.all) return { type: 'all' as const };
  let text: string;
  if (options.openids !== undefined) text = options.openids;
  else if (options.openidsFile === '-') text = await context.io.readStdin();
  else {
    try {
      text = await readFile(options.openidsFile!, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--openids-file: cannot read ${options.openidsFile} (${(error as Error).message})`,
      );
    }
  }
  const openids = parseOpenidList(text);
  if (openids.length === 0) throw new UsageError('the audience lists no openid');
  if (openids.length > MAX_OPENIDS) {
    throw new UsageError(
      `the audience lists ${openids.length} openids; a broadcast takes at most ${MAX_OPENIDS} (split it, or use --all)`,
    );
  }
  return { type: 'openids' as const, openids };
}

function summary(view: BroadcastView): string {
  const took =
    view.startedAt && view.finishedAt
      ? ` in ${formatDuration((Date.parse(view.finishedAt) - Date.parse(view.startedAt)) / 1000)}`
      : '';
  const reason = view.pausedReason ? ` (${view.pausedReason})` : '';
  const cancelled = view.cancelled ? `  cancelled ${view.cancelled}` : '';
  return `broadcast ${view.id} ${view.status}${reason}: ${settledCount(view)}/${view.total} messages${took}\n  ${formatCounts(view)}${cancelled}`;
}

function describe(view: BroadcastView): string {
  return `broadcast ${view.id}\n${fields([
    ['app', view.appId],
    ['status', view.status],
    ['paused', view.pausedReason],
    ['progress', `${settledCount(view)}/${view.total}`],
    ['counts', `${formatCounts(view)}${view.pending ? `  pending ${view.pending}` : ''}`],
    ['cancelled', view.cancelled || undefined],
    ['created', shortTime(view.createdAt)],
    ['started', shortTime(view.startedAt)],
    ['finished', shortTime(view.finishedAt)],
  ])}`;
}

function displayFor(command: Command, context: CliContext): ProgressDisplay {
  if (wantsJson(command)) return createSilentDisplay();
  // progress goes to stderr, so that stdout carries only the answer even while the bar runs
  return context.io.stderr.isTTY ? createBarDisplay(context.io.stderr) : createLineDisplay(context.io.stderr);
}

/**
 * Watches until the broadcast ends and prints its final view. Completed is success; cancelled and
 * paused are not (exit 1): a paused broadcast waits for a person to fix its cause and resume it.
 */
async function watchUntilDone(command: Command, context: CliContext, client: ApiClient, id: string) {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  let view: BroadcastView;
  try {
    view = await watchBroadcast({
      client,
      id,
      display: displayFor(command, context),
      intervalMs: context.pollIntervalMs,
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof WatchInterrupted) {
      throw new WatchInterrupted(
        `stopped watching; broadcast ${id} goes on. Watch it again: minapush broadcast show ${id} --watch`,
      );
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
  printResult(command, context, view, () => summary(view));
  if (view.status === 'paused') {
    throw new NotCompleted(
      `broadcast ${id} is paused${view.pausedReason ? ` (${view.pausedReason})` : ''} and waits for you: ` +
        `fix the cause, then resume it: minapush broadcast resume ${id} --watch`,
    );
  }
  if (view.status === 'cancelled') {
    throw new NotCompleted(`broadcast ${id} was cancelled: its unsent messages will not be sent`);
  }
}

export function registerBroadcastCommands(program: Command, context: CliContext) {
  const broadcast = program
    .command('broadcast')
    .description('start, follow, list, cancel and resume broadcasts (one message to many users)');

  broadcast
    .command('create')
    .description('start a broadcast; --watch follows it with a progress bar until it ends')
    .addOption(
      new Option('-k, --kind <kind>', 'message kind')
        .choices(['template', 'subscribe'])
        .makeOptionMandatory(),
    )
    .requiredOption('-t, --template <templateId>', 'template id')
    .option(
      '-d, --data <json|key=value>',
      'template data, JSON or key=value; repeat for more fields',
      collect,
      [],
    )
    .option('--page <page>', 'mini-program page the message opens')
    .option('--all', 'audience: every user the app has recorded')
    .option('--openids <list>', 'audience: these openids, comma-separated')
    .option('--openids-file <file>', 'audience: openids from a file (one per line; - reads stdin)')
    .option('--app <appId>', "the app (default: MINAPUSH_APP_ID, else the server's first app)")
    .option('--send-at <time>', 'start at this ISO-8601 time, e.g. 2026-12-24T09:00:00+08:00')
    .option('--idempotency-key <key>', 'the same key with the same body answers the same broadcast')
    .option('--quiet-hours <HH:MM-HH:MM>', 'no sends inside this daily window, e.g. 22:00-08:00')
    .option('--timezone <zone>', 'IANA time zone of --quiet-hours (default: China time)')
    .option('--dry-run', 'only count whom it would reach and how long it would take; creates nothing')
    .option('-w, --watch', 'draw a live progress bar until the broadcast ends')
    .action(async (options: CreateOptions, command: Command) => {
      if (options.dryRun && options.watch) throw new UsageError('--dry-run creates nothing to --watch');
      const body = {
        kind: options.kind,
        templateId: options.template,
        data: parseData(options.data),
        ...(options.page === undefined ? {} : { page: options.page }),
        audience: await audienceOf(options, context),
        ...optional('appId', appFor(options.app, context)),
        ...optional('sendAt', parseSendAt(options.sendAt)),
        ...optional('idempotencyKey', options.idempotencyKey),
        ...optional('quietHours', parseQuietHours(options.quietHours, options.timezone)),
        ...(options.dryRun ? { dryRun: true } : {}),
      };
      const client = clientFor(command, context);
      if (options.dryRun) {
        const estimate = await client.post<{
          reachable: number;
          unreachable: number;
          estimatedSeconds: number;
        }>('/v1/broadcasts', body);
        printResult(
          command,
          context,
          estimate,
          () =>
            `dry run: would reach ${estimate.reachable} users (${estimate.unreachable} without a usable credit), ` +
            `in about ${formatDuration(estimate.estimatedSeconds)} at the app's rate; nothing was created`,
        );
        return;
      }
      const created = await client.post<{ id: string; status: string }>('/v1/broadcasts', body);
      if (!options.watch) {
        printResult(command, context, created, () => `broadcast ${created.id} ${created.status}`);
        return;
      }
      if (!wantsJson(command)) context.io.stdout.write(`broadcast ${created.id} ${created.status}\n`);
      await watchUntilDone(command, context, client, created.id);
    });

  broadcast
    .command('list')
    .description('recent broadcasts, newest first')
    .option('--app <appId>', 'only this app (default: MINAPUSH_APP_ID, else every app)')
    .addOption(new Option('--status <status>', 'only broadcasts in this status').choices(BROADCAST_STATUSES))
    .option('--limit <n>', 'at most this many (1-100)')
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .action(async (options: { app?: string; status?: string; limit?: string; cursor?: string }, command) => {
      const limit = parseWholeNumber('--limit', options.limit, 1, 100);
      const client = clientFor(command, context);
      const page = await needsRoute(
        () =>
          client.get<{ items: BroadcastView[]; nextCursor?: string }>('/v1/broadcasts', {
            appId: appFor(options.app, context),
            status: options.status,
            limit,
            cursor: options.cursor,
          }),
        'list broadcasts',
      );
      printResult(command, context, page, () =>
        page.items.length === 0
          ? 'no broadcasts'
          : table(
              ['id', 'status', 'created', 'total', 'sent', 'failed', 'skipped', 'unknown'],
              page.items.map((b) => [
                b.id,
                b.status,
                shortTime(b.createdAt) ?? '',
                String(b.total),
                String(b.sent),
                String(b.failed),
                String(b.skipped),
                String(b.unknown),
              ]),
            ),
      );
      if (page.nextCursor)
        remark(command, context, `more: minapush broadcast list --cursor ${page.nextCursor}`);
    });

  broadcast
    .command('show')
    .description("a broadcast's status and counts; --watch follows it until it ends")
    .argument('<id>', 'broadcast id')
    .option('-w, --watch', 'draw a live progress bar until the broadcast ends')
    .action(async (id: string, options: { watch?: boolean }, command: Command) => {
      const client = clientFor(command, context);
      if (options.watch) {
        await watchUntilDone(command, context, client, id);
        return;
      }
      const view = await client.get<BroadcastView>(pathOf`/v1/broadcasts/${id}`);
      printResult(command, context, view, () => describe(view));
    });

  broadcast
    .command('cancel')
    .description('cancel a broadcast: messages not yet sent are not sent')
    .argument('<id>', 'broadcast id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const answer = await clientFor(command, context).post<{ id: string; status: string }>(
        pathOf`/v1/broadcasts/${id}/cancel`,
      );
      printResult(command, context, answer, () => `broadcast ${answer.id} ${answer.status}`);
    });

  broadcast
    .command('resume')
    .description('resume a paused broadcast; --watch follows it until it ends')
    .argument('<id>', 'broadcast id')
    .option('-w, --watch', 'draw a live progress bar until the broadcast ends')
    .action(async (id: string, options: { watch?: boolean }, command: Command) => {
      const client = clientFor(command, context);
      const answer = await needsRoute(
        () => client.post<{ id: string; status: string }>(pathOf`/v1/broadcasts/${id}/resume`),
        'resume broadcasts',
      );
      if (!options.watch) {
        printResult(command, context, answer, () => `broadcast ${answer.id} ${answer.status}`);
        return;
      }
      if (!wantsJson(command)) context.io.stdout.write(`broadcast ${answer.id} ${answer.status}\n`);
      await watchUntilDone(command, context, client, id);
    });
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
