import type { Job, Queue } from 'bullmq';

const LIVE_JOB_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * Adds the job unless one with its id is alive; a finished or failed one is replaced (BullMQ
 * ignores an add whose id it still keeps, even as completed). Answers whether it added one. Two
 * callers at once may both replace a finished job: the second add finds the first's and is ignored.
 */
export async function ensureJob(queue: Queue, jobId: string, add: () => Promise<Job>): Promise<boolean> {
  const state = await queue.getJobState(jobId);
  if (LIVE_JOB_STATES.has(state)) return false;
  if (state !== 'unknown') await queue.remove(jobId);
  await add();
  return true;
}
