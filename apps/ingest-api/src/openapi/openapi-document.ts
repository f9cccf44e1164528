import { z } from 'zod';
import { formIdsBodySchema } from '../credits/form-ids-route.js';
import { subscriptionsBodySchema } from '../credits/subscriptions-route.js';
import { createSessionBodySchema } from '../sessions/sessions-route.js';

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

const rejectionSchema = {
  type: 'object',
  required: ['formId', 'reason'],
  properties: {
    formId: { type: ['string', 'null'] },
    reason: { enum: ['mock', 'duplicate', 'expired', 'malformed'] },
    message: { type: 'string' },
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
      schemas: { Error: errorSchema },
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
            '429': errorResponse('too many logins for this user'),
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
