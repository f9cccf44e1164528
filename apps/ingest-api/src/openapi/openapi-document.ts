import { MAX_SEND_AT_DAYS, messageRequestSchema } from '@minapush/queues';
import { z } from 'zod';
import { broadcastListQuerySchema, broadcastRequestSchema } from '../broadcasts/broadcasts-routes.js';
import { formIdsBodySchema } from '../credits/form-ids-route.js';
import { subscriptionsBodySchema } from '../credits/subscriptions-route.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../http/list-query.js';
import { messageListQuerySchema } from '../messages/messages-routes.js';
import { createSessionBodySchema } from '../sessions/sessions-route.js';
import { refreshAccessTokenBodySchema } from '../tokens/access-token-routes.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'snake_case, stable' },
        message: { type: 'string', description: 'what went wrong and how to fix it' },
        details: {},
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const standardErrors = {
  '400': errorResponse('malformed request'),
  '401': errorResponse('no or bad credentials'),
  '403': errorResponse('credentials not allowed here'),
  '413': errorResponse('body too large, or too many items'),
  '422': errorResponse('well-formed but invalid'),
  '503': errorResponse('a dependency is down; retry later'),
};

/** The answers every admin page shares: HTTP Basic, and 503 while no admin is configured. */
const adminPage = (description: string) => ({
  '200': { description },
  '401': errorResponse('log in with ADMIN_USERNAME and ADMIN_PASSWORD'),
  '503': errorResponse('admin disabled: ADMIN_USERNAME and ADMIN_PASSWORD are not set'),
});

/** The query parameters of a listing, from the zod schema its route parses the query with. */
function queryParameters(schema: z.ZodObject) {
  const document = json(schema) as { properties?: Record<string, { description?: string }> };
  return Object.entries(document.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    ...(property.description === undefined ? {} : { description: property.description }),
    schema: property,
  }));
}

const page = (item: object, description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['items'],
        properties: {
          items: { type: 'array', items: item },
          nextCursor: {
            type: 'string',
            description:
              'present when more items follow: pass it as `cursor` (with the same filters) for the next page',
          },
        },
      },
    },
  },
});

const LISTING_RULES =
  `Newest first, ${DEFAULT_PAGE_LIMIT} per page unless ` +
  '`limit` (1 to ' +
  MAX_PAGE_LIMIT +
  ') says otherwise. Pages are a keyset on the time-ordered ids: the next page starts after the last item of this one, so walking every page gives each item exactly once, whatever is created meanwhile (new items appear on the first page). A bad query (an unknown parameter, `limit` out of range, a `cursor` this API did not give, an unknown `status`): 400 `invalid_request` with `details.issues`.';

const attemptSchema = {
  type: 'object',
  required: ['at', 'outcome'],
  properties: {
    at: {
      type: 'string',
      format: 'date-time',
      description: 'when the call was recorded, just before it left',
    },
    outcome: {
      enum: ['sent', 'rejected', 'transient', 'unknown'],
      description:
        'sent; rejected: WeChat answered an errcode (a wrong request, a dead credit, a stale token, a quota: `errcode` says which); transient: WeChat unavailable (e.g. -1), tried again later; unknown: no reply came back, or the call is in flight',
    },
    errcode: { type: 'integer', description: "WeChat's errcode, when it answered one" },
    errmsg: { type: 'string' },
  },
};

const accessTokenSchema = {
  type: 'object',
  required: ['accessToken', 'expiresAt'],
  properties: { accessToken: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
};

const rejectionSchema = {
  type: 'object',
  required: ['formId', 'reason'],
  properties: {
    formId: { type: ['string', 'null'] },
    reason: { enum: ['mock', 'duplicate', 'expired', 'malformed'] },
    message: { type: 'string' },
  },
};

const housekeepingRunSchema = {
  type: 'object',
  required: ['removed', 'startedAt', 'finishedAt'],
  properties: {
    removed: {
      type: 'object',
      description: 'rows the run deleted',
      required: ['credits', 'messages', 'attempts', 'broadcasts', 'tokenFetches', 'pushEvents'],
      properties: {
        credits: {
          type: 'integer',
          minimum: 0,
          description: 'expired, spent or dead, that nothing pointed at',
        },
        messages: { type: 'integer', minimum: 0, description: 'finished more than RETENTION_DAYS ago' },
        attempts: { type: 'integer', minimum: 0, description: 'of those messages' },
        broadcasts: {
          type: 'integer',
          minimum: 0,
          description:
            'completed or cancelled more than RETENTION_DAYS ago, with none of their messages left',
        },
        tokenFetches: {
          type: 'integer',
          minimum: 0,
          description: "access_token history older than RETENTION_DAYS; never an app's newest fetch",
        },
        pushEvents: {
          type: 'integer',
          minimum: 0,
          description: "WeChat's message pushes received more than RETENTION_DAYS ago",
        },
      },
    },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
  },
};

const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'failed', 'skipped', 'unknown', 'cancelled'];

const BROADCAST_STATUSES = ['scheduled', 'running', 'paused', 'completed', 'cancelled'];

const countSchema = { type: 'integer', minimum: 0 };

const broadcastSchema = {
  type: 'object',
  required: [
    'id',
    'appId',
    'status',
    'total',
    'sent',
    'failed',
    'skipped',
    'unknown',
    'pending',
    'createdAt',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    appId: { type: 'string' },
    status: { enum: BROADCAST_STATUSES },
    total: countSchema,
    sent: countSchema,
    failed: countSchema,
    skipped: countSchema,
    unknown: countSchema,
    pending: { ...countSchema, description: 'queued or being sent' },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    pausedReason: { type: 'string' },
    quietHours: {
      type: 'object',
      required: ['start', 'end', 'timezone'],
      properties: {
        start: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
        end: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
        timezone: { type: 'string', description: 'IANA time zone name' },
      },
      description: "the quiet hours it keeps: its own, or its app's when it was created without",
    },
    waitingUntil: {
      type: 'string',
      format: 'date-time',
      description:
        'present while its quiet hours hold it: when they end and its batches send again (the status stays `running`)',
    },
  },
};

const messageSchema = {
  type: 'object',
  required: ['id', 'appId', 'status', 'openid', 'kind', 'templateId', 'attempts', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    appId: { type: 'string' },
    status: {
      enum: MESSAGE_STATUSES,
      description:
        'queued → sending → sent | failed | skipped (no credit) | unknown (outcome could not be known; never resent) | cancelled',
    },
    openid: { type: 'string' },
    kind: { enum: ['template', 'subscribe'] },
    templateId: { type: 'string' },
    attempts: { type: 'integer', description: 'calls made to WeChat for this message' },
    errcode: { type: 'integer', description: "WeChat's errcode of the last failed attempt" },
    errmsg: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    sendAt: {
      type: 'string',
      format: 'date-time',
      description: 'the `sendAt` it was held until (absent: sent at once)',
    },
    sentAt: { type: 'string', format: 'date-time' },
    broadcastId: { type: 'string', format: 'uuid', description: 'the broadcast it belongs to' },
    delivery: {
      type: 'object',
      description:
        "what WeChat's message push (subscribe_msg_sent_event) said of the delivery, when the app's push is configured and an event came; absent until then",
      required: ['status', 'reportedAt'],
      properties: {
        status: {
          enum: ['delivered', 'not_delivered'],
          description: 'not_delivered: WeChat accepted the send but did not deliver it (`errcode` says why)',
        },
        errcode: { type: 'integer', description: "the event's ErrorCode (0 when delivered)" },
        errmsg: { type: 'string', description: "the event's ErrorStatus" },
        reportedAt: { type: 'string', format: 'date-time', description: "the event's CreateTime" },
      },
    },
  },
};

const messageWithHistorySchema = {
  allOf: [
    { $ref: '#/components/schemas/Message' },
    {
      type: 'object',
      required: ['attemptHistory'],
      properties: {
        attemptHistory: {
          type: 'array',
          items: attemptSchema,
          description:
            'every call to WeChat for it, oldest first (`attempts` counts those that count: a quota answer does not)',
        },
      },
    },
  ],
};

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const appIdParameter = { name: 'appId', in: 'path', required: true, schema: { type: 'string' } };

const countsByTemplate = {
  type: 'object',
  additionalProperties: { type: 'integer', minimum: 0 },
  description: 'per subscribe templateId',
};

/** The answer of GET /v1/apps/{appId}/templates (and of a sync, with `synced`). */
const templateListSchema = {
  type: 'object',
  required: ['items', 'registry'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['templateId', 'title', 'kind', 'keys', 'subscribeType', 'keyKinds'],
        properties: {
          templateId: { type: 'string', description: "WeChat's priTmplId" },
          title: { type: 'string' },
          kind: { const: 'subscribe' },
          keys: { type: 'array', items: { type: 'string' }, description: 'key names, e.g. thing1' },
          subscribeType: { enum: ['one_time', 'long_term', 'unknown'] },
          keyKinds: {
            type: 'object',
            additionalProperties: { type: 'string' },
            description: 'per key, its value kind (thing, date, phrase, …)',
          },
          enumValues: {
            type: 'object',
            additionalProperties: { type: 'array', items: { type: 'string' } },
            description: 'per key WeChat restricts, the values it accepts',
          },
        },
      },
    },
    registry: { enum: ['synced', 'never_synced', 'unreadable'] },
    syncedAt: { type: 'string', format: 'date-time', description: 'the last successful sync' },
    synced: { type: 'integer', minimum: 0, description: 'a sync only: how many templates WeChat listed' },
  },
};

/** The OpenAPI 3.1 document of the HTTP API, built from the same zod schemas the routes use. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'minapush',
      version: '0.1.0',
      description:
        'Reach the users of a WeChat mini-program. Mini-program clients log in and hand over send credits (formIds, prepay_ids, subscribe results); backends send with them. Errors are `{"error":{"code","message","details"?}}`.',
    },
    components: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', description: 'session token from POST /v1/sessions' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'one of API_KEYS' },
        admin: { type: 'http', scheme: 'basic' },
      },
      schemas: { Error: errorSchema, Message: messageSchema, Broadcast: broadcastSchema },
    },
    paths: {
      '/v1/sessions': {
        post: {
          summary: 'Exchange a wx.login() code for a session token',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(createSessionBodySchema) } },
          },
          responses: {
            '200': {
              description: 'logged in',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['token', 'openid', 'expiresAt'],
                    properties: {
                      token: { type: 'string' },
                      openid: { type: 'string' },
                      expiresAt: { type: 'string', format: 'date-time' },
                    },
                  },
                },
              },
            },
            '401': errorResponse('`invalid_code`: WeChat rejected the code'),
            '422': errorResponse('unknown appId'),
            '429': errorResponse(
              '`rate_limited`: more logins from this client address than SESSION_RATE_LIMIT_PER_MINUTE; `too_many_logins`: WeChat limits this user (see Retry-After)',
            ),
            '503': errorResponse('WeChat unreachable or the app misconfigured'),
          },
        },
      },
      '/v1/form-ids': {
        post: {
          summary: 'Hand over formIds and prepay_ids (at most 100)',
          description:
            'A session stores credits for its own user; an API key names `openid` (and `appId` unless the default app). Also accepts application/x-www-form-urlencoded with `form_id` and `openId` fields.',
          security: [{ session: [] }, { apiKey: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: json(formIdsBodySchema) },
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  properties: {
                    form_id: { type: 'string' },
                    openId: { type: 'string' },
                    appId: { type: 'string' },
                  },
                },
              },
            },
          },
          responses: {
            '202': {
              description: 'accepted for storage',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['accepted', 'rejected'],
                    properties: {
                      accepted: { type: 'integer' },
                      rejected: { type: 'array', items: rejectionSchema },
                    },
                  },
                },
              },
            },
            ...standardErrors,
          },
        },
      },
      '/v1/subscriptions': {
        post: {
          summary: 'Report what wx.requestSubscribeMessage resolved with; each accept is one credit',
          security: [{ session: [] }, { apiKey: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(subscriptionsBodySchema) } },
          },
          responses: {
            '202': {
              description: 'credited',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['credited'],
                    properties: { credited: { type: 'integer' } },
                  },
                },
              },
            },
            ...standardErrors,
          },
        },
      },
      '/v1/messages': {
        post: {
          summary: 'Send one message to one user',
          description:
            '`data` is WeChat\'s wire shape `{"thing1":{"value":"…"}}` or the flat `{"thing1":"…"}`. A subscribe message\'s values are checked against WeChat\'s rules (422 `invalid_data` naming the field, e.g. `data.thing1.value`) before any credit is spent. `emphasisKeyword` is for template messages, `miniprogramState` and `lang` for subscribe messages. The same `idempotencyKey` (per app) with the same body answers the first message; with a different body 409 `idempotency_key_reused`. `sendAt` (ISO-8601 with its offset, `Z` or `+08:00`) holds the message, `queued`, until then: its job is delayed, and neither an early job nor the recovery after a Redis loss sends it sooner; absent or past: at once; more than ' +
            MAX_SEND_AT_DAYS +
            ' days ahead: 422 `invalid_send_at`. Node backends can call `enqueueMessage` from `@minapush/queues` instead; it applies the same rules, `sendAt` included. Quiet hours never hold a single message: it is transactional (a payment receipt, an order update) and goes at once, at any hour; they apply to broadcasts.' +
            " A subscribe message is also checked against its app's template registry (synced from WeChat's `/wxaapi/newtmpl/gettemplate`): 422 `unknown_template`, `missing_template_keys` or `unknown_template_keys` (`details.keys` lists them, `details.templateKeys` the template's) or `invalid_template_value` (`details.key`, `details.rule`, `details.fix`, and `details.enumValues` where WeChat lists them), before anything is stored or queued. A template id the registry has not seen makes it sync once (at most once per app every 10 s) before it is refused, so a template just added in the console is sendable. While the registry never synced, or its last sync failed (`minapush_template_registry_unreadable` 1), subscribe messages pass unchecked. Legacy template messages are never checked this way.",
          security: [{ apiKey: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(messageRequestSchema) } },
          },
          responses: {
            '202': {
              description: 'queued for sending (or, for a repeated idempotencyKey, the first message)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'status'],
                    properties: {
                      id: { type: 'string', format: 'uuid' },
                      status: { enum: MESSAGE_STATUSES },
                    },
                  },
                },
              },
            },
            '400': errorResponse('malformed request; `details.issues` lists each problem with its path'),
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '409': errorResponse('`idempotency_key_reused`: the key was used with a different body'),
            '413': errorResponse('body too large'),
            '422': errorResponse(
              '`invalid_data` (`details.field` names the value, e.g. `data.thing1.value`), `invalid_send_at` (more than ' +
                MAX_SEND_AT_DAYS +
                ' days ahead), `unknown_app`, or for a subscribe message `unknown_template`, `missing_template_keys`, `unknown_template_keys`, `invalid_template_value`',
            ),
            '503': errorResponse('`queue_unavailable`: retry after `Retry-After` seconds'),
          },
        },
        get: {
          summary: "List messages: a user's, a broadcast's, or both",
          description:
            '`openid` or `broadcastId` is required (400 `invalid_request` without either); `appId` and `status` narrow the list. ' +
            LISTING_RULES +
            ' Items are shaped as GET /v1/messages/{id} answers, without `attemptHistory`. An `appId` this API does not serve: 422 `unknown_app`.',
          security: [{ apiKey: [] }],
          parameters: queryParameters(messageListQuerySchema),
          responses: {
            '200': page({ $ref: '#/components/schemas/Message' }, 'one page of messages, newest first'),
            '400': errorResponse('a bad query; `details.issues` lists each problem with its path'),
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '422': errorResponse('`unknown_app`'),
          },
        },
      },
      '/v1/messages/{id}': {
        get: {
          summary: 'How a message went',
          security: [{ apiKey: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': {
              description: 'the message and its attempts; optional fields are absent until they apply',
              content: { 'application/json': { schema: messageWithHistorySchema } },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`message_not_found`'),
          },
        },
      },
      '/v1/messages/{id}/cancel': {
        post: {
          summary: 'Cancel a message that is still queued: it is never sent',
          description:
            'Only a `queued` message can be cancelled: one held until its `sendAt`, waiting for its turn, or waiting out a quota pause (a message of a broadcast too). A credit use it held is given back to the user. Cancelling a cancelled message answers 200 again.',
          security: [{ apiKey: [] }],
          parameters: [idParameter],
          responses: {
            '200': {
              description: 'cancelled',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'status'],
                    properties: { id: { type: 'string', format: 'uuid' }, status: { const: 'cancelled' } },
                  },
                },
              },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`message_not_found`'),
            '409': errorResponse(
              '`not_cancellable`: it is being sent or finished (`details.status` says which)',
            ),
          },
        },
      },
      '/v1/broadcasts': {
        post: {
          summary: 'Send one message to many users',
          description:
            'The broadcast is stored as `scheduled` and fanned out at `sendAt` (now when absent or past): one message per user, whatever the retries; a repeated openid gets one message. `data` follows the rules of POST /v1/messages (422 `invalid_data` naming the field). Several consecutive template-level errors (40037, 41030, 47003, 48001) pause it with `pausedReason`. `quietHours` (`{"start":"22:00","end":"08:00","timezone"?}`, HH:MM, China time unless an IANA `timezone` is given, may cross midnight, `start` ≠ `end`) is a daily window in which it sends nothing: a batch that would send inside waits for `end`, holding no lease and no credit, and GET shows `waitingUntil`; without it the broadcast keeps its app\'s quietHours (WECHAT_APPS) as they are when it is created. Single messages (POST /v1/messages) are never held. The body may be up to 8 MiB. The same `idempotencyKey` (per app) with the same body answers the first broadcast (202, its id and current status) and starts no second fan-out; with a different body 409 `idempotency_key_reused`. With `dryRun: true` nothing is created (no broadcast, no job, the idempotencyKey is not taken): 200 tells how many users of the audience have a usable credit for it now (`reachable`: a formId or prepay_id for a template message, an accepted subscription to `templateId` for a subscribe message), how many do not (`unreachable`), and `estimatedSeconds` = ceil(reachable / the app\'s `sendRatePerSecond`). A subscribe broadcast is checked against the template registry like a single message (dry runs too): 422 `unknown_template`, `missing_template_keys`, `unknown_template_keys` or `invalid_template_value`.',
          security: [{ apiKey: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(broadcastRequestSchema) } },
          },
          responses: {
            '200': {
              description: '`dryRun: true`: what it would do; nothing was created',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['reachable', 'unreachable', 'estimatedSeconds'],
                    properties: {
                      reachable: {
                        ...countSchema,
                        description: 'audience users with a usable credit for it',
                      },
                      unreachable: {
                        ...countSchema,
                        description: 'audience users without one (would be skipped)',
                      },
                      estimatedSeconds: {
                        ...countSchema,
                        description: "ceil(reachable / the app's sendRatePerSecond)",
                      },
                    },
                  },
                },
              },
            },
            '202': {
              description: 'stored and scheduled (or, for a repeated idempotencyKey, the first broadcast)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'status'],
                    properties: {
                      id: { type: 'string', format: 'uuid' },
                      status: { enum: BROADCAST_STATUSES },
                    },
                  },
                },
              },
            },
            ...standardErrors,
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '409': errorResponse('`idempotency_key_reused`: the key was used with a different body'),
            '413': errorResponse('body above 8 MiB'),
            '422': errorResponse(
              '`invalid_data` (`details.field` names the value), `unknown_app`, or for a subscribe broadcast `unknown_template`, `missing_template_keys`, `unknown_template_keys`, `invalid_template_value`',
            ),
            '400': errorResponse(
              '`invalid_request`: the body does not match the schema; `details.issues[].path` names the field (e.g. `quietHours.timezone` for a zone Intl does not know, `quietHours.end` for an end equal to the start)',
            ),
            '503': errorResponse(
              '`queue_unavailable`: retry after `Retry-After` seconds. Nothing was stored, unless the request had an idempotencyKey and `details.id` names the stored broadcast (it starts once the queue is back; the retry answers it)',
            ),
          },
        },
        get: {
          summary: 'List broadcasts, with their progress',
          description:
            '`appId` and `status` narrow the list. ' +
            LISTING_RULES +
            ' Items are shaped as GET /v1/broadcasts/{id} answers. An `appId` this API does not serve: 422 `unknown_app`.',
          security: [{ apiKey: [] }],
          parameters: queryParameters(broadcastListQuerySchema),
          responses: {
            '200': page({ $ref: '#/components/schemas/Broadcast' }, 'one page of broadcasts, newest first'),
            '400': errorResponse('a bad query; `details.issues` lists each problem with its path'),
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '422': errorResponse('`unknown_app`'),
          },
        },
      },
      '/v1/broadcasts/{id}': {
        get: {
          summary: 'How a broadcast is going',
          security: [{ apiKey: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': {
              description:
                'total = sent + failed + skipped + unknown + pending; once completed nothing is pending',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Broadcast' } } },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`broadcast_not_found`'),
          },
        },
      },
      '/v1/broadcasts/{id}/cancel': {
        post: {
          summary: 'Cancel a broadcast: messages not yet sent are not sent',
          security: [{ apiKey: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': {
              description: 'cancelled (also when it already was)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'status'],
                    properties: { id: { type: 'string', format: 'uuid' }, status: { const: 'cancelled' } },
                  },
                },
              },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`broadcast_not_found`'),
            '409': errorResponse('`broadcast_finished`: it completed already'),
          },
        },
      },
      '/v1/broadcasts/{id}/resume': {
        post: {
          summary: 'Resume a paused broadcast: the messages it has not sent yet go out',
          description:
            'A broadcast pauses itself after consecutive template-level errors (`pausedReason` says which); fix the cause (the template, the page), then resume it: it is `running` again (`pausedReason` cleared), its count of consecutive template errors starts from zero, and its queued messages are sent, each user still at most once. A quota (45009, 45011) pauses the app, not a broadcast: the broadcast stays `running` and goes on by itself when the quota window ends.',
          security: [{ apiKey: [] }],
          parameters: [idParameter],
          responses: {
            '200': {
              description: 'running again',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'status'],
                    properties: { id: { type: 'string', format: 'uuid' }, status: { const: 'running' } },
                  },
                },
              },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`broadcast_not_found`'),
            '409': errorResponse(
              '`not_paused`: it is scheduled, running or finished (`details.status` says which)',
            ),
            '503': errorResponse('`queue_unavailable`: nothing changed, it is still paused; retry later'),
          },
        },
      },
      '/v1/apps/{appId}/users/{openid}/credits': {
        get: {
          summary: 'What can be sent to this user now',
          description:
            'Counts only credits usable now: not spent, not dead, and (formIds, prepay_ids) not expired. `formIds.usable` counts formIds and prepay_ids, `formIds.usesLeft` the template messages they can carry (a prepay_id carries up to 3), `soonestExpiresAt` when the first of them expires (absent without any). `subscribe` maps each template the user accepted to the subscribe messages still allowed. A user minapush has never seen answers zeros.',
          security: [{ apiKey: [] }],
          parameters: [
            appIdParameter,
            { name: 'openid', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } },
          ],
          responses: {
            '200': {
              description: "the user's usable credits",
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['openid', 'formIds', 'subscribe'],
                    properties: {
                      openid: { type: 'string' },
                      formIds: {
                        type: 'object',
                        required: ['usable', 'usesLeft'],
                        properties: {
                          usable: countSchema,
                          usesLeft: countSchema,
                          soonestExpiresAt: { type: 'string', format: 'date-time' },
                        },
                      },
                      subscribe: countsByTemplate,
                    },
                  },
                },
              },
            },
            '400': errorResponse('an openid longer than 128 characters or with control characters'),
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`unknown_app`: the message lists the apps this API serves'),
          },
        },
      },
      '/v1/apps/{appId}/wechat/events': {
        get: {
          summary: "WeChat's URL verification of the message push",
          description:
            "The URL an admin enters in the mini-program console's message-push settings (消息推送). WeChat checks it with a GET signed by the app's `pushToken` (WECHAT_APPS): sha1 of the sorted token, timestamp and nonce. The answer is `echostr`, as text.",
          parameters: [
            appIdParameter,
            ...['signature', 'timestamp', 'nonce', 'echostr'].map((name) => ({
              name,
              in: 'query',
              required: true,
              schema: { type: 'string' },
            })),
          ],
          responses: {
            '200': { description: 'the echostr', content: { 'text/plain': { schema: { type: 'string' } } } },
            '400': errorResponse('`missing_echostr`'),
            '401': errorResponse('`bad_signature`: missing, or not made with the pushToken'),
            '404': errorResponse('`unknown_app`, or `push_not_configured`: the app has no pushToken'),
          },
        },
        post: {
          summary: "WeChat's message push: subscribe-message events",
          description:
            "`subscribe_msg_popup_event` (what the user chose in the dialog), `subscribe_msg_change_event` (a template turned off in the settings) and `subscribe_msg_sent_event` (the outcome of a delivery), as XML or JSON, in plaintext (`signature`), compatible or secure mode (`msg_signature`, AES with the app's `encodingAesKey`). A timestamp more than 300 s from the server's clock is refused (a replay). An accepted event is stored, then answered `success`; it feeds the credit ledger later, once however often WeChat retries it (docs/push-events.md). Other events are acknowledged and counted, not stored.",
          parameters: [
            appIdParameter,
            ...['signature', 'timestamp', 'nonce', 'msg_signature', 'encrypt_type'].map((name) => ({
              name,
              in: 'query',
              required: false,
              schema: { type: 'string' },
            })),
          ],
          requestBody: {
            required: true,
            content: {
              'text/xml': { schema: { type: 'string' } },
              'application/json': { schema: { type: 'object' } },
            },
          },
          responses: {
            '200': { description: '`success`', content: { 'text/plain': { schema: { type: 'string' } } } },
            '400': errorResponse(
              '`malformed_push`: not WeChat XML or JSON, or a subscribe event missing its fields; `encryption_not_configured`: encrypted but the app has no encodingAesKey',
            ),
            '401': errorResponse(
              '`bad_signature`: signature missing or wrong; `stale_timestamp`: more than 300 s from now',
            ),
            '404': errorResponse('`unknown_app`, or `push_not_configured`: the app has no pushToken'),
            '413': errorResponse('`body_too_large`: over 64 KiB'),
            '503': errorResponse('`database_unavailable`: nothing was stored; WeChat retries'),
          },
        },
      },
      '/v1/apps/{appId}/inventory': {
        get: {
          summary: 'What the app can send now, over all its users',
          description:
            '`users`: the users the app has recorded (the audience `{"type":"all"}`). `reachableByFormId`: distinct users with a usable formId or prepay_id. `reachableBySubscribe`: per template, distinct users with an accepted subscription not yet used. `formIdsExpiringWithin24h`: usable formIds and prepay_ids (credits, not users) that expire within 24 hours. Counted in one pass over the app\'s credits (about a second for a million users, more on a busy database): an operator\'s view, not something to poll.',
          security: [{ apiKey: [] }],
          parameters: [appIdParameter],
          responses: {
            '200': {
              description: "the app's inventory",
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: [
                      'users',
                      'reachableByFormId',
                      'reachableBySubscribe',
                      'formIdsExpiringWithin24h',
                    ],
                    properties: {
                      users: countSchema,
                      reachableByFormId: countSchema,
                      reachableBySubscribe: countsByTemplate,
                      formIdsExpiringWithin24h: countSchema,
                    },
                  },
                },
              },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`unknown_app`: the message lists the apps this API serves'),
          },
        },
      },
      '/v1/apps/{appId}/templates': {
        get: {
          summary: "The app's subscribe templates, as WeChat last listed them",
          description:
            "The template registry: the app's private subscribe templates, synced from WeChat (`/wxaapi/newtmpl/gettemplate`) when the dispatcher starts, every TEMPLATE_SYNC_CRON tick, on POST /v1/apps/{appId}/templates/sync and when a send names a template not seen yet. `keys` are the key names of the template's content (`thing1`); `keyKinds` gives each key's value kind (its prefix); `enumValues` the only values WeChat accepts for a key, where it lists them. `registry`: `synced` (sends are checked against these templates), `never_synced` or `unreadable` (the last sync failed: sends pass unchecked). `syncedAt`: the last successful sync.",
          security: [{ apiKey: [] }],
          parameters: [appIdParameter],
          responses: {
            '200': {
              description: "the app's templates",
              content: { 'application/json': { schema: templateListSchema } },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`unknown_app`: the message lists the apps this API serves'),
          },
        },
      },
      '/v1/apps/{appId}/templates/sync': {
        post: {
          summary: "Sync the app's subscribe templates from WeChat now",
          description:
            "Reads the list with the central access_token (never fetching one) and replaces the stored set: templates deleted in WeChat's console disappear. Answers the templates as GET /v1/apps/{appId}/templates does, with `synced`, the number WeChat listed. When the list cannot be read (no token yet, WeChat's error or silence) 503 `template_list_unreadable` (WeChat is the dependency that is down): the stored templates are kept, and subscribe messages pass unchecked until a sync succeeds.",
          security: [{ apiKey: [] }],
          parameters: [appIdParameter],
          responses: {
            '200': {
              description: 'the templates, just synced',
              content: { 'application/json': { schema: templateListSchema } },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`unknown_app`: the message lists the apps this API serves'),
            '503': errorResponse(
              "`template_list_unreadable`: `details.reason` (`no_token`, or the failed call's category) and `details.errcode`",
            ),
          },
        },
      },
      '/v1/apps/{appId}/access-token': {
        get: {
          summary: 'The central access_token of an app, for other backends (never fetch your own)',
          security: [{ apiKey: [] }],
          parameters: [{ name: 'appId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'the current token',
              content: { 'application/json': { schema: accessTokenSchema } },
            },
            '401': errorResponse('no or bad API key'),
            '403': errorResponse('a session token cannot read tokens'),
            '404': errorResponse('`unknown_app`'),
            '429': errorResponse('`token_budget_exhausted`: the daily fetch budget is used up'),
            '503': errorResponse(
              '`app_misconfigured` (WeChat refuses the credentials) or `token_unavailable`',
            ),
          },
        },
      },
      '/v1/apps/{appId}/access-token/refresh': {
        post: {
          summary: 'Report a token WeChat called invalid (40001/40014/42001)',
          description:
            'A new token is fetched only if `staleToken` is still the current one (compare-and-swap); otherwise the current one is returned. However many callers report the same token, one fetch happens.',
          security: [{ apiKey: [] }],
          parameters: [{ name: 'appId', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(refreshAccessTokenBodySchema) } },
          },
          responses: {
            '200': {
              description: 'the current token',
              content: { 'application/json': { schema: accessTokenSchema } },
            },
            '400': errorResponse('no staleToken'),
            '401': errorResponse('no or bad API key'),
            '404': errorResponse('`unknown_app`'),
            '429': errorResponse('`token_budget_exhausted`'),
            '503': errorResponse('`app_misconfigured` or `token_unavailable`'),
          },
        },
      },
      '/v1/housekeeping/run': {
        post: {
          summary: 'Run housekeeping now, as the daily schedule does',
          description:
            "Deletes what is no longer needed: credits that expired, were spent or died and that no message or attempt points at (a pending message keeps its credit); finished messages with their attempts, finished broadcasts and access_token history older than `RETENTION_DAYS` (default 30; never an app's newest fetch). The dispatcher runs the same every day at 03:00 China time (`HOUSEKEEPING_CRON`). One run at a time across every process: a request that finds a run in progress (the schedule's or another request's) waits for it and answers its result. No body.",
          security: [{ apiKey: [] }],
          responses: {
            '200': {
              description: 'what the run removed',
              content: { 'application/json': { schema: housekeepingRunSchema } },
            },
            '401': errorResponse('no or bad API key'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '503': errorResponse(
              '`redis_unavailable` (the run lock cannot be taken), `database_unavailable`, or `housekeeping_interrupted` (the run stopped part-way; what it removed stays removed, send it again)',
            ),
          },
        },
      },
      '/healthz': { get: { summary: 'The process runs', responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Postgres and Redis answer',
          description:
            "200 `{status: 'ready', checks, apps}`: per app its token health (`status` ok or misconfigured, with WeChat's errcode) and, once the token-refresher has read it, `quota.subscribe_send: {dailyLimit, used, remain, readAt}`, WeChat's daily quota of subscribe messages (read every QUOTA_READ_INTERVAL_MS); neither makes it 503",
          responses: { '200': { description: 'ready' }, '503': errorResponse('which dependency is down') },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition' } } },
      },
      '/admin': {
        get: {
          summary:
            'The admin view: per app token health and expiry, credit inventory, daily quota use, recent broadcasts with live progress',
          security: [{ admin: [] }],
          responses: adminPage('HTML'),
        },
      },
      '/admin/apps/{appId}': {
        get: {
          summary: 'The admin view of one app, with more of its broadcasts',
          security: [{ admin: [] }],
          parameters: [{ name: 'appId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { ...adminPage('HTML'), '404': errorResponse('not one of the configured apps') },
        },
      },
      '/admin/users': {
        get: {
          summary:
            "A user lookup: what can be sent to them now, and their last messages with each one's attempts",
          security: [{ admin: [] }],
          parameters: [
            { name: 'app', in: 'query', required: true, schema: { type: 'string', maxLength: 64 } },
            { name: 'openid', in: 'query', required: true, schema: { type: 'string', maxLength: 128 } },
          ],
          responses: {
            ...adminPage('HTML'),
            '404': errorResponse('not one of the configured apps'),
            '422': errorResponse('app or openid missing or too long'),
          },
        },
      },
      '/admin/api/broadcasts': {
        get: {
          summary: "The counts of the named broadcasts, which the admin view's progress bars poll",
          security: [{ admin: [] }],
          parameters: [
            {
              name: 'ids',
              in: 'query',
              required: true,
              description: 'comma-separated broadcast ids, at most 50; unknown ones are left out',
              schema: { type: 'string' },
            },
          ],
          responses: {
            ...adminPage('`{"items":[broadcast…]}`, each as GET /v1/broadcasts/{id}'),
            '422': errorResponse('not a list of broadcast ids'),
          },
        },
      },
      '/admin/broadcasts/{id}/cancel': {
        post: {
          summary:
            'Cancels a broadcast from the admin view (only with ADMIN_READ_ONLY=false); redirects to /admin',
          security: [{ admin: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '303': { description: 'cancelled (or already finished): back to /admin' },
            '401': errorResponse('log in'),
            '403': errorResponse('the admin is read-only, or the request came from another site'),
            '404': errorResponse('no broadcast has this id'),
            '503': errorResponse('admin disabled'),
          },
        },
      },
      '/admin/broadcasts/{id}/resume': {
        post: {
          summary:
            'Resumes a paused broadcast from the admin view (only with ADMIN_READ_ONLY=false), as POST /v1/broadcasts/{id}/resume; redirects to /admin',
          security: [{ admin: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '303': { description: 'running again: back to /admin' },
            '401': errorResponse('log in'),
            '403': errorResponse('the admin is read-only, or the request came from another site'),
            '404': errorResponse('no broadcast has this id'),
            '409': errorResponse('not_paused: only a paused broadcast can be resumed'),
            '503': errorResponse('admin disabled, or the queue is unreachable (still paused)'),
          },
        },
      },
      '/admin/queues': {
        get: {
          summary:
            'Bull Board: every queue of the deployment; its actions are refused (405) unless ADMIN_READ_ONLY=false',
          security: [{ admin: [] }],
          responses: adminPage('the board'),
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/docs': { get: { summary: 'This document, rendered', responses: { '200': { description: 'HTML' } } } },
    },
  };
}
