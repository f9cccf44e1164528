import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { pathOf } from '../api-client.js';
import { parseData, parseSendAt } from '../command-input.js';
import { appFor, type CliContext, clientFor, printResult, wantsJson } from '../context.js';
import { NotCompleted } from '../errors.js';

const FINAL_STATUSES = new Set(['sent', 'failed', 'skipped', 'unknown', 'cancelled']);

interface MessageView {
  id: string;
  status: string;
  attempts?: unknown;
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

interface SendOptions {
  kind: 'template' | 'subscribe';
  template: string;
  data: string[];
  page?: string;
  app?: string;
  sendAt?: string;
  idempotencyKey?: string;
  emphasisKeyword?: string;
  miniprogramState?: string;
  lang?: string;
  wait?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function attemptCount(view: MessageView): number | undefined {
  if (typeof view.attempts === 'number') return view.attempts;
  return Array.isArray(view.attempts) ? view.attempts.length : undefined;
}

function describeOutcome(view: MessageView): string {
  const attempts = attemptCount(view);
  const why =
    view.errcode === undefined
      ? ''
      : `: WeChat errcode ${view.errcode}${view.errmsg ? ` (${view.errmsg})` : ''}`;
  return `message ${view.id} ${view.status}${attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`}${why}`;
}

export function registerSendCommand(program: Command, context: CliContext) {
  program
    .command('send')
    .description('send one message to one user; --wait waits for its outcome')
    .argument('<openid>', 'the user')
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
    .option('--app <appId>', "the app (default: MINAPUSH_APP_ID, else the server's first app)")
    .option('--send-at <time>', 'hold it until this ISO-8601 time, e.g. 2026-12-24T09:00:00+08:00')
    .option('--idempotency-key <key>', 'the same key with the same body answers the same message')
    .option('--emphasis-keyword <keyword>', 'template messages: the keyword WeChat enlarges')
    .addOption(
      new Option('--miniprogram-state <state>', 'subscribe messages: which version opens').choices([
        'developer',
        'trial',
        'formal',
      ]),
    )
    .option('--lang <lang>', 'subscribe messages: zh_CN, en_US, zh_HK or zh_TW')
    .option('--wait', 'wait until the message is sent (exit 0) or ends otherwise (exit 1)')
    .action(async (openid: string, options: SendOptions, command: Command) => {
      const body = {
        openid,
        kind: options.kind,
        templateId: options.template,
        data: parseData(options.data),
        ...(options.page === undefined ? {} : { page: options.page }),
        ...(options.emphasisKeyword === undefined ? {} : { emphasisKeyword: options.emphasisKeyword }),
        ...(options.miniprogramState === undefined ? {} : { miniprogramState: options.miniprogramState }),
        ...(options.lang === undefined ? {} : { lang: options.lang }),
        ...(appFor(options.app, context) === undefined ? {} : { appId: appFor(options.app, context) }),
        ...(options.sendAt === undefined ? {} : { sendAt: parseSendAt(options.sendAt) }),
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      };
      const client = clientFor(command, context);
      const created = await client.post<{ id: string; status: string }>('/v1/messages', body);
      if (!options.wait) {
        printResult(command, context, created, () => `message ${created.id} ${created.status}`);
        return;
      }
      if (!wantsJson(command)) context.io.stdout.write(`message ${created.id} ${created.status}\n`);
      let view = await client.get<MessageView>(pathOf`/v1/messages/${created.id}`);
      while (!FINAL_STATUSES.has(view.status)) {
        await sleep(context.pollIntervalMs);
        view = await client.get<MessageView>(pathOf`/v1/messages/${created.id}`);
      }
      printResult(command, context, view, () => describeOutcome(view));
      if (view.status !== 'sent') throw new NotCompleted(`message ${view.id} was not sent (${view.status})`);
    });
}
