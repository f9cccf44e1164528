import { messageRequestSchema } from '@minapush/queues';
import { z } from 'zod';
import { broadcastRequestSchema } from '../broadcasts/broadcasts-routes.js';
import { formIdsBodySchema } from '../credits/form-ids-route.js';
import { subscriptionsBodySchema } from '../credits/subscriptions-route.js';
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
    sentAt: { type: 'string', format: 'date-time' },
    broadcastId: { type: 'string', format: 'uuid', description: 'the broadcast it belongs to' },
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
      schemas: { Error: errorSchema, Message: messageSchema },
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
            '`data` is WeChat\'s wire shape `{"thing1":{"value":"…"}}` or the flat `{"thing1":"…"}`. A subscribe message\'s values are checked against WeChat\'s rules (422 `invalid_data` naming the field, e.g. `data.thing1.value`) before any credit is spent. `emphasisKeyword` is for template messages, `miniprogramState` and `lang` for subscribe messages. The same `idempotencyKey` (per app) with the same body answers the first message; with a different body 409 `idempotency_key_reused`. Node backends can call `enqueueMessage` from `@minapush/queues` instead; it applies the same rules. Quiet hours never hold a single message: it is transactional (a payment receipt, an order update) and goes at once, at any hour; they apply to broadcasts.',
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
              '`invalid_data` (`details.field` names the value, e.g. `data.thing1.value`) or `unknown_app`',
            ),
            '503': errorResponse('`queue_unavailable`: retry after `Retry-After` seconds'),
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
              description: 'the message; optional fields are absent until they apply',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Message' } } },
            },
            '401': errorResponse('no or bad credentials'),
            '403': errorResponse('a session token: this endpoint takes API keys only'),
            '404': errorResponse('`message_not_found`'),
          },
        },
      },
      '/v1/broadcasts': {
        post: {
          summary: 'Send one message to many users',
          description:
            'The broadcast is stored as `scheduled` and fanned out at `sendAt` (now when absent or past): one message per user, whatever the retries; a repeated openid gets one message. `data` follows the rules of POST /v1/messages (422 `invalid_data` naming the field). Several consecutive template-level errors (40037, 41030, 47003, 48001) pause it with `pausedReason`. `quietHours` (`{"start":"22:00","end":"08:00","timezone"?}`, HH:MM, China time unless an IANA `timezone` is given, may cross midnight, `start` ≠ `end`) is a daily window in which it sends nothing: a batch that would send inside waits for `end`, holding no lease and no credit, and GET shows `waitingUntil`; without it the broadcast keeps its app\'s quietHours (WECHAT_APPS) as they are when it is created. Single messages (POST /v1/messages) are never held. The body may be up to 8 MiB. The same `idempotencyKey` (per app) with the same body answers the first broadcast (202, its id and current status) and starts no second fan-out; with a different body 409 `idempotency_key_reused`.',
          security: [{ apiKey: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: json(broadcastRequestSchema) } },
          },
          responses: {
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
            '422': errorResponse('`invalid_data` (`details.field` names the value) or `unknown_app`'),
            '400': errorResponse(
              '`invalid_request`: the body does not match the schema; `details.issues[].path` names the field (e.g. `quietHours.timezone` for a zone Intl does not know, `quietHours.end` for an end equal to the start)',
            ),
            '503': errorResponse(
              '`queue_unavailable`: retry after `Retry-After` seconds. Nothing was stored, unless the request had an idempotencyKey and `details.id` names the stored broadcast (it starts once the queue is back; the retry answers it)',
            ),
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
              content: { 'application/json': { schema: broadcastSchema } },
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
      '/healthz': { get: { summary: 'The process runs', responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Postgres and Redis answer',
          responses: { '200': { description: 'ready' }, '503': errorResponse('which dependency is down') },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition' } } },
      },
      '/admin/queues': {
        get: {
          summary: 'Bull Board',
          security: [{ admin: [] }],
          responses: {
            '200': { description: 'the board' },
            '401': errorResponse('log in'),
            '503': errorResponse('admin disabled'),
          },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/docs': { get: { summary: 'This document, rendered', responses: { '200': { description: 'HTML' } } } },
    },
  };
}
