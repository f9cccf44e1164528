import type { Command } from 'commander';
import { pathOf } from '../api-client.js';
import { appFor, type CliContext, clientFor, printResult } from '../context.js';
import { fields, shortTime, table } from '../format.js';
import { needsRoute } from '../missing-route.js';

interface UserCredits {
  openid: string;
  formIds: { usable: number; usesLeft: number; soonestExpiresAt?: string };
  subscribe: Record<string, number>;
}

interface Inventory {
  users: number;
  reachableByFormId: number;
  reachableBySubscribe: Record<string, number>;
  formIdsExpiringWithin24h: number;
}

interface Templates {
  items: Array<{ templateId: string; title?: string; kind: string; keys?: string[] }>;
  syncedAt?: string;
}

function perTemplate(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([template, n]) => `${template} ${n}`).join(', ');
}

/** What the app can send: one user's credits, the app's inventory, its templates. */
export function registerAppStateCommands(program: Command, context: CliContext) {
  program
    .command('credits')
    .description('what can be sent to one user now: usable formIds and subscribe credits per template')
    .argument('<openid>', 'the user')
    .option('--app <appId>', 'the app (default: MINAPUSH_APP_ID)')
    .action(async (openid: string, options: { app?: string }, command: Command) => {
      const appId = appFor(options.app, context, true);
      const client = clientFor(command, context);
      const credits = await needsRoute(
        () => client.get<UserCredits>(pathOf`/v1/apps/${appId}/users/${openid}/credits`),
        "tell a user's credits",
      );
      printResult(command, context, credits, () => {
        const { usable, usesLeft, soonestExpiresAt } = credits.formIds;
        return `user ${credits.openid} (app ${appId})\n${fields([
          [
            'formIds',
            `${usable} usable, ${usesLeft} use${usesLeft === 1 ? '' : 's'} left` +
              (soonestExpiresAt ? `, the first expires ${shortTime(soonestExpiresAt)}` : ''),
          ],
          ['subscribe', perTemplate(credits.subscribe)],
        ])}`;
      });
    });

  program
    .command('inventory')
    .description("the app's reach: users, reachable by formId and by each subscribe template")
    .option('--app <appId>', 'the app (default: MINAPUSH_APP_ID)')
    .action(async (options: { app?: string }, command: Command) => {
      const appId = appFor(options.app, context, true);
      const client = clientFor(command, context);
      const inventory = await needsRoute(
        () => client.get<Inventory>(pathOf`/v1/apps/${appId}/inventory`),
        "tell an app's inventory",
      );
      printResult(
        command,
        context,
        inventory,
        () =>
          `app ${appId}\n${fields([
            ['users', inventory.users],
            ['reachable by formId', inventory.reachableByFormId],
            ['formIds expiring within 24 h', inventory.formIdsExpiringWithin24h],
            ['reachable by subscribe', perTemplate(inventory.reachableBySubscribe)],
          ])}`,
      );
    });

  program
    .command('templates')
    .description("the app's message templates, as WeChat lists them")
    .option('--app <appId>', 'the app (default: MINAPUSH_APP_ID)')
    .action(async (options: { app?: string }, command: Command) => {
      const appId = appFor(options.app, context, true);
      const client = clientFor(command, context);
      const templates = await needsRoute(
        () => client.get<Templates>(pathOf`/v1/apps/${appId}/templates`),
        'list templates',
      );
      printResult(command, context, templates, () => {
        const synced = templates.syncedAt ? `\n(synced from WeChat ${shortTime(templates.syncedAt)})` : '';
        if (templates.items.length === 0) return `app ${appId} has no templates${synced}`;
        return (
          table(
            ['template', 'kind', 'title', 'keys'],
            templates.items.map((t) => [t.templateId, t.kind, t.title ?? '', (t.keys ?? []).join(', ')]),
          ) + synced
        );
      });
    });
}
