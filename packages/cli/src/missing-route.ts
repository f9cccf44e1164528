import { ApiRefusal } from './errors.js';

/**
 * A server older than this CLI answers a route it lacks with 404 `not_found` ("No route …"), which
 * is not the same as a 404 about the thing asked for (`broadcast_not_found`, `app_not_found`).
 */
export function isMissingRoute(error: unknown): error is ApiRefusal {
  return error instanceof ApiRefusal && error.status === 404 && error.code === 'not_found';
}

/** Runs a call; a missing route becomes a refusal that says what this server cannot do yet. */
export async function needsRoute<T>(call: () => Promise<T>, whatItCannotDo: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isMissingRoute(error)) throw error;
    throw new ApiRefusal(
      404,
      'not_found',
      `this server does not ${whatItCannotDo} yet (${error.message.replace(/;.*$/, '')}); ` +
        'it runs an older minapush than this command line: update and restart it.',
    );
  }
}
