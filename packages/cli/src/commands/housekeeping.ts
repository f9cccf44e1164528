import type { Command } from 'commander';
import { type CliContext, clientFor, printResult } from '../context.js';
import { needsRoute } from '../missing-route.js';
import { formatDuration } from '../progress/broadcast-progress.js';

interface HousekeepingRun {
  removed: Record<string, number>;
  startedAt?: string;
  finishedAt?: string;
}

/** Words for the counters of a run, in the order an operator reads them. */
const REMOVED_LABELS: Record<string, string> = {
  credits: 'credits',
  messages: 'messages',
  attempts: 'attempts',
  broadcasts: 'broadcasts',
  tokenFetches: 'token fetches',
  pushEvents: 'push events',
};

export function registerHousekeepingCommands(program: Command, context: CliContext) {
  const housekeeping = program
    .command('housekeeping')
    .description('the clean-up that normally runs on its schedule');
  housekeeping
    .command('run')
    .description('run housekeeping now: drop spent and expired credits and old finished history')
    .action(async (_options: unknown, command: Command) => {
      const client = clientFor(command, context);
      const run = await needsRoute(
        () => client.post<HousekeepingRun>('/v1/housekeeping/run'),
        'run housekeeping on request',
      );
      printResult(command, context, run, () => {
        const removed = Object.entries(run.removed)
          .map(([key, n]) => `${n} ${REMOVED_LABELS[key] ?? key}`)
          .join(', ');
        const took =
          run.startedAt && run.finishedAt
            ? ` in ${formatDuration((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}`
            : '';
        return `housekeeping removed ${removed || 'nothing'}${took}`;
      });
    });
}
