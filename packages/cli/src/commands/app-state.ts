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
  items: Array<{
    templateId: string;
    title?: string;
    kind: string;
    keys?: string[];
    subscribeType?: string;
    enumValues?: Record<string, string[]>;
  }>;
  /** synced | never_synced | unreadable */
  registry?: string;
  syncedAt?: string;
}

/** What the registry's state means for sends, when it is not `synced`. */
const REGISTRY_NOTES: Record<string, string> = {
  never_synced: 'never synced from WeChat: subscribe messages are not checked against templates yet',
  unreadable: "WeChat's list could not be read at the last sync: subscribe messages pass unchecked",
};

function describeKeys(template: Templates['items'][number]): string {
  return (template.keys ?? [])
    .map((key) => {
      const values = template.enumValues?.[key];
      return values ? `${key} (${values.join('|')})` : key;
    })
    .join(', ');
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
    .description(
      "the app's subscribe templates, as WeChat last listed them (--sync: read them from WeChat now)",
    )
    .option('--app <appId>', 'the app (default: MINAPUSH_APP_ID)')
    .option('--sync', 'sync them from WeChat first')
    .action(async (options: { app?: string; sync?: boolean }, command: Command) => {
      const appId = appFor(options.app, context, true);
      const client = clientFor(command, context);
      const templates = await needsRoute(
        () =>
          options.sync
            ? client.post<Templates>(pathOf`/v1/apps/${appId}/templates/sync`)
            : client.get<Templates>(pathOf`/v1/apps/${appId}/templates`),
        options.sync ? 'sync templates' : 'list templates',
      );
      printResult(command, context, templates, () => {
        const notes = [
          ...(templates.registry && REGISTRY_NOTES[templates.registry]
            ? [REGISTRY_NOTES[templates.registry]]
            : []),
          ...(templates.syncedAt ? [`synced from WeChat ${shortTime(templates.syncedAt)}`] : []),
        ];
        const footer = notes.map((note) => `\n(${note})`).join('');
        if (templates.items.length === 0) return `app ${appId} has no templates${footer}`;
        return (
          table(
            ['template', 'type', 'title', 'keys'],
            templates.items.map((t) => [
              t.templateId,
              t.subscribeType ?? t.kind,
              t.title ?? '',
              describeKeys(t),
            ]),
          ) + footer
        );
      });
    });
}
