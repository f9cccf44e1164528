import { createHash, randomUUID } from 'node:crypto';
import { isFreeOfControlCharacters } from '@minapush/queues';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM_ID_PATTERN } from '../src/credits/form-id-intake.js';
import { eventually, type Harness, startHarness } from './harness.js';

// Drives every body-taking route with generated hostile bodies: NUL and other control characters,
// unpaired surrogates, huge strings, wrong types, deep nesting, broken JSON and bytes. Whatever
// comes in, the answer is never a 5xx, every 4xx is the contract's error, a refused request stores
// nothing, and a credit batch answered 202 is stored by the worker without a failure.

let h: Harness;
let session: string;
const PUSH_TOKEN = 'hostilePushToken1';
beforeAll(async () => {
  h = await startHarness({ push: { pushToken: PUSH_TOKEN } });
  session = (await h.login()).token;
  await settledCreditQueue(); // the login's user sighting
}, 30_000);
afterAll(() => h.close());

type Path = ReadonlyArray<string | number>;

interface RouteUnderTest {
  method: 'POST';
  path: () => string;
  who: 'key' | 'session' | 'none';
  /** a valid body; `seed` keeps idempotency keys and batch ids apart */
  base: (seed: string) => Record<string, unknown>;
  /** where a value may be replaced */
  fields: Path[];
  /** objects whose first key may be renamed */
  keyed: Path[];
  /** the route also reads application/x-www-form-urlencoded */
  form?: boolean;
}

const ROUTES: Record<string, RouteUnderTest> = {
  'POST /v1/sessions': {
    method: 'POST',
    path: () => '/v1/sessions',
    who: 'none',
    // never a real code: WeChat (the sandbox) refuses it, which is a 401, not a fault
    base: (seed) => ({ code: `code-${seed}` }),
    fields: [['code'], ['appId']],
    keyed: [[]],
  },
  'POST /v1/form-ids (session)': {
    method: 'POST',
    path: () => '/v1/form-ids',
    who: 'session',
    base: (seed) => ({
      formIds: [
        `f-${seed}`,
        { formId: `p-${seed}`, kind: 'prepay_id', capturedAt: new Date().toISOString() },
      ],
    }),
    fields: [
      ['formIds'],
      ['formIds', 0],
      ['formIds', 1],
      ['formIds', 1, 'formId'],
      ['formIds', 1, 'kind'],
      ['formIds', 1, 'capturedAt'],
      ['openid'],
      ['appId'],
    ],
    keyed: [[], ['formIds', 1]],
    form: true,
  },
  'POST /v1/form-ids (api key)': {
    method: 'POST',
    path: () => '/v1/form-ids',
    who: 'key',
    base: (seed) => ({ formIds: [`k-${seed}`], openid: `o-${seed}` }),
    fields: [['formIds'], ['formIds', 0], ['openid'], ['appId']],
    keyed: [[]],
    form: true,
  },
  'POST /v1/subscriptions': {
    method: 'POST',
    path: () => '/v1/subscriptions',
    who: 'session',
    base: (seed) => ({ results: { 'tmpl-a': 'accept', 'tmpl-b': 'reject', errMsg: 'ok' }, batchId: seed }),
    fields: [['results'], ['results', 'tmpl-a'], ['batchId'], ['openid'], ['appId']],
    keyed: [[], ['results']],
  },
  'POST /v1/messages': {
    method: 'POST',
    path: () => '/v1/messages',
    who: 'key',
    base: (seed) => ({
      openid: `o-${seed}`,
      kind: 'template',
      templateId: 'tmpl-legacy',
      data: { keyword1: { value: 'A-1001' }, keyword2: '¥12.50' },
      page: 'pages/order?id=1',
      emphasisKeyword: 'keyword1.DATA',
      idempotencyKey: `idem-${seed}`,
    }),
    fields: [
      ['openid'],
      ['kind'],
      ['templateId'],
      ['data'],
      ['data', 'keyword1'],
      ['data', 'keyword1', 'value'],
      ['data', 'keyword2'],
      ['page'],
      ['emphasisKeyword'],
      ['idempotencyKey'],
      ['appId'],
      ['lang'],
    ],
    keyed: [[], ['data'], ['data', 'keyword1']],
  },
  'POST /v1/broadcasts': {
    method: 'POST',
    path: () => '/v1/broadcasts',
    who: 'key',
    base: (seed) => ({
      kind: 'template',
      templateId: 'tmpl-news',
      data: { keyword1: { value: 'New season' } },
      page: 'pages/news',
      audience: { type: 'openids', openids: [`o-${seed}`, 'o-2'] },
      idempotencyKey: `idem-${seed}`,
    }),
    fields: [
      ['kind'],
      ['templateId'],
      ['data'],
      ['data', 'keyword1', 'value'],
      ['page'],
      ['audience'],
      ['audience', 'type'],
      ['audience', 'openids'],
      ['audience', 'openids', 0],
      ['sendAt'],
      ['appId'],
      ['idempotencyKey'],
    ],
    keyed: [[], ['data'], ['audience']],
  },
  'POST /v1/broadcasts/:id/cancel': {
    method: 'POST',
    path: () => '/v1/broadcasts/0190a4b2-0000-7000-8000-000000000000/cancel',
    who: 'key',
    base: () => ({}),
    fields: [['reason']],
    keyed: [],
  },
  'POST /v1/apps/:appId/access-token/refresh': {
    method: 'POST',
    path: () => `/v1/apps/${h.appId}/access-token/refresh`,
    who: 'key',
    base: (seed) => ({ staleToken: `stale-${seed}` }),
    fields: [['staleToken']],
    keyed: [[]],
  },
  // WeChat's message push in plaintext mode: the signature covers the token, timestamp and nonce,
  // not the body, so a correctly signed request takes the hostile body all the way to the parser
  'POST /v1/apps/:appId/wechat/events': {
    method: 'POST',
    path: () => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomUUID().slice(0, 8);
      const signature = createHash('sha1')
        .update([PUSH_TOKEN, timestamp, nonce].sort().join(''))
        .digest('hex');
      return `/v1/apps/${h.appId}/wechat/events?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`;
    },
    who: 'none',
    base: (seed) => ({
      ToUserName: 'gh_0123456789ab',
      FromUserName: `openid-${seed}`,
      CreateTime: 1764633600,
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: [{ TemplateId: 'tmpl-hostile', SubscribeStatusString: 'accept', PopupScene: '0' }],
    }),
    fields: [
      ['ToUserName'],
      ['FromUserName'],
      ['CreateTime'],
      ['Event'],
      ['List'],
      ['List', 0],
      ['List', 0, 'TemplateId'],
      ['List', 0, 'SubscribeStatusString'],
    ],
    keyed: [[], ['List', 0]],
  },
};

/** Single characters that have broken request handling somewhere before. */
const hostileCharacter = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0007',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\u2028',
  '\ufeff',
  '\uffff',
  '"',
  '\\',
  '%00',
  ' ',
  '😀',
);

const hostileString = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.string({
      unit: fc.oneof(hostileCharacter, fc.string({ minLength: 1, maxLength: 1 })),
      maxLength: 40,
    }),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  // unusual but harmless (emoji, combining marks, scripts): what must still be accepted and stored
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  // past every field limit, past the 64 KiB body limit, past a broadcast's own field limits
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(300, 70_000, 1_100_000), hostileCharacter)
      .map(([n, c]) => `${'x'.repeat(n)}${c}`),
  },
);

/** Replaced by a nested array or object this deep, written as text (too deep to stringify safely). */
const DEEP = '\ue000deep\ue000';
interface Deep {
  depth: number;
  open: string;
  close: string;
}
const deepNesting: fc.Arbitrary<Deep> = fc
  .tuple(fc.integer({ min: 2, max: 20_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']))
  .map(([depth, [open, close]]) => ({ depth, open: open!, close: close! }));

type Replacement = { kind: 'value'; value: unknown } | { kind: 'deep'; deep: Deep };

const replacement: fc.Arbitrary<Replacement> = fc.oneof(
  { weight: 6, arbitrary: hostileString.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'value' as const, value })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(null, true, 0, -1, 1e308, [], {})
      .map((value) => ({ kind: 'value' as const, value })),
  },
  { weight: 1, arbitrary: deepNesting.map((deep) => ({ kind: 'deep' as const, deep })) },
);

type Mutation =
  | { op: 'set'; path: Path; with: Replacement }
  | { op: 'delete'; path: Path }
  | { op: 'rename'; path: Path; key: string };

function mutation(route: RouteUnderTest): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...route.fields), with: replacement }),
    fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...route.fields) }),
  ];
  if (route.keyed.length > 0) {
    options.push(
      fc.record({
        op: fc.constant('rename' as const),
        path: fc.constantFrom(...route.keyed),
        key: hostileString,
      }),
    );
  }
  return fc.oneof(...options);
}

function parentOf(body: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = body;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

/** The body's JSON text with the mutations applied. */
function mutatedJson(body: Record<string, unknown>, mutations: Mutation[]): string {
  const deep: Deep[] = [];
  for (const change of mutations) {
    const parent = parentOf(body, change.op === 'rename' ? change.path : change.path.slice(0, -1));
    if (!parent) continue;
    if (change.op === 'rename') {
      const [first] = Object.keys(parent);
      if (first === undefined) continue;
      const value = parent[first];
      delete parent[first];
      Object.defineProperty(parent, change.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      continue;
    }
    const key = change.path[change.path.length - 1]!;
    if (change.op === 'delete') {
      delete parent[key];
    } else if (change.with.kind === 'deep') {
      parent[key] = `${DEEP}${deep.length}`;
      deep.push(change.with.deep);
    } else {
      parent[key] = change.with.value;
    }
  }
  let text = JSON.stringify(body);
  deep.forEach((nesting, index) => {
    const nested = `${nesting.open.repeat(nesting.depth)}1${nesting.close.repeat(nesting.depth)}`;
    text = text.replace(JSON.stringify(`${DEEP}${index}`), () => nested);
  });
  return text;
}

interface HostileRequest {
  contentType: string | undefined;
  body: string | Uint8Array;
}

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Percent-escapes that decode to NUL, controls, an unpaired surrogate (CESU-8) or nothing valid. */
const formValue = fc
  .array(
    fc.oneof(
      fc.constantFrom('%00', '%07', '%0A', '%ED%A0%80', '%FF', '%', '%E0%A4%A', '+', '&', '='),
      fc.string({ maxLength: 8 }),
      hostileCharacter,
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

function hostileRequest(route: RouteUnderTest): fc.Arbitrary<HostileRequest> {
  const options: Array<fc.WeightedArbitrary<HostileRequest>> = [
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.uuid(), fc.array(mutation(route), { minLength: 1, maxLength: 3 }))
        .map(([seed, mutations]) => ({
          contentType: JSON_TYPE,
          body: mutatedJson(route.base(seed), mutations),
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue()
        .map((value) => ({ contentType: JSON_TYPE, body: JSON.stringify(value) ?? 'null' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(hostileString, fc.constantFrom(JSON_TYPE, FORM_TYPE, 'text/plain', undefined))
        .map(([body, contentType]) => ({ contentType, body })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 256 }).map((body) => ({ contentType: JSON_TYPE, body })),
    },
  ];
  if (route.form) {
    options.push({
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('form_id', 'formId', 'formIds', 'form_ids'),
          formValue,
          fc.constantFrom('openId', 'openid'),
          formValue,
        )
        .map(([idField, id, openidField, openid]) => ({
          contentType: FORM_TYPE,
          body: `${idField}=${id}&${idField}=${id}x${route.who === 'key' ? `&${openidField}=o-${openid}` : ''}`,
        })),
    });
  }
  return fc.oneof(...options);
}

/** What a request could have stored or queued for the harness's app. */
async function footprint() {
  const jobs = await h.creditQueue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'completed',
    'failed',
    'prioritized',
  );
  return {
    messages: await h.db.message.count({ where: { appId: h.appId } }),
    broadcasts: await h.db.broadcast.count({ where: { appId: h.appId } }),
    creditJobs: Object.values(jobs).reduce((sum, n) => sum + n, 0),
  };
}

/** Waits until the credit worker has nothing left to do, and answers how many jobs failed. */
async function settledCreditQueue(): Promise<number> {
  const settled = await eventually(async () => {
    const { failed = 0, ...pending } = await h.creditQueue.getJobCounts(
      'failed',
      'waiting',
      'active',
      'delayed',
      'prioritized',
    );
    return Object.values(pending).some((count) => count > 0) ? undefined : { failed };
  }, 15_000);
  return settled.failed;
}

async function expectContractError(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const answer = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(answer)).toEqual(['error']);
  const error = answer.error as Record<string, unknown>;
  expect(Object.keys(error).filter((key) => !['code', 'message', 'details'].includes(key))).toEqual([]);
  expect(error.code).toEqual(expect.stringMatching(/^[a-z][a-z0-9_]*$/));
  expect(error.message).toEqual(expect.stringMatching(/\S.{9,}/s));
}

// 9 routes (form-ids twice: a session's and an API key's): 1,125 hostile requests in all
const RUNS_PER_ROUTE = 125;

describe('hostile request bodies', () => {
  it.each(Object.entries(ROUTES))(
    '%s: never a 5xx, every 4xx in the contract shape, nothing stored when refused',
    async (_name, route) => {
      await fc.assert(
        fc.asyncProperty(hostileRequest(route), async (request) => {
          const token = route.who === 'key' ? h.apiKey : route.who === 'session' ? session : undefined;
          const before = await footprint();
          const response = await fetch(`${h.url}${route.path()}`, {
            method: route.method,
            headers: {
              ...(request.contentType ? { 'content-type': request.contentType } : {}),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: request.body,
          });
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) {
            await expectContractError(response);
            expect(await footprint()).toEqual(before);
          } else {
            await response.arrayBuffer();
          }
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
      // the process took it all in its stride
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
      // every credit batch answered 202 is stored by the worker, and only printable credits are
      expect(await settledCreditQueue()).toBe(0);
      const credits = await h.db.sendCredit.findMany({ where: { appId: h.appId } });
      for (const credit of credits) {
        expect(isFreeOfControlCharacters(credit.openid)).toBe(true);
        if (credit.formId !== null) expect(credit.formId).toMatch(FORM_ID_PATTERN);
        if (credit.templateId !== null) expect(isFreeOfControlCharacters(credit.templateId)).toBe(true);
      }
    },
    180_000,
  );
});
