import { ApiError } from '../http/api-error.js';
import {
  type ResumeBroadcastDeps,
  ResumeUnavailableError,
  resumeBroadcastSending,
} from './resume-broadcast.js';

/** Seconds a client waits before retrying a resume the queue could not take. */
const QUEUE_RETRY_AFTER_SECONDS = 5;

/**
 * Resumes a paused broadcast, or throws the answer the API and the admin view both give: 503 while
 * the queue is unreachable (still paused), `notFound()`, or 409 not_paused.
 */
export async function resumeOrRefuse(deps: ResumeBroadcastDeps, id: string, notFound: () => ApiError) {
  let result: Awaited<ReturnType<typeof resumeBroadcastSending>>;
  try {
    result = await resumeBroadcastSending(deps, id);
  } catch (error) {
    if (!(error instanceof ResumeUnavailableError)) throw error;
    const unavailable = new ApiError(
      503,
      'queue_unavailable',
      'The broadcast cannot be resumed right now (the queue is unreachable); it is still paused, retry later.',
      undefined,
      QUEUE_RETRY_AFTER_SECONDS,
    );
    unavailable.cause = error;
    throw unavailable;
  }
  if (!result.ok && result.reason === 'not_found') throw notFound();
  if (!result.ok) {
    throw new ApiError(
      409,
      'not_paused',
      `The broadcast is ${result.status}, not paused: only a paused broadcast can be resumed.`,
      { status: result.status },
    );
  }
  return result;
}
