import type { Job, JobsOptions, Queue } from 'bullmq';
import type { z } from 'zod';

/**
 * How many finished jobs a queue keeps, so that an admin sees in Bull Board what happened (a queue
 * that sent 200 messages showed "0 jobs" when completed jobs were removed at once): the last
 * thousand completed ones of the last day, and the last thousand failed ones of the last week (an
 * operator back after a weekend still finds them). A count, not only an age: single messages make
 * one job each, and a day of them would fill Redis. What is left to send is in Postgres, and the
 * reconciler replaces a finished job it needs again, so nothing depends on a job being kept. The
 * credit intake keeps its failed jobs without limit: they are its dead letters (retry-policy.ts).
 */
export const FINISHED_JOB_HISTORY = {
  removeOnComplete: { count: 1_000, age: 86_400 },
  removeOnFail: { count: 1_000, age: 7 * 86_400 },
} as const satisfies Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'>;

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  /** the payload schema: applied when a job is added and again when it is processed */
  schema: S;
  /** attempts, backoff and retention for every job of this name */
  options: JobsOptions;
}

export interface QueueCatalog<J extends Record<string, JobDefinition> = Record<string, JobDefinition>> {
  /** the queue's name; a `prefix` given to Queue/Worker separates deployments and tests */
  queue: string;
  jobs: J;
}

export type JobNameOf<C extends QueueCatalog> = keyof C['jobs'] & string;
export type JobPayloadOf<C extends QueueCatalog, N extends JobNameOf<C>> = z.infer<C['jobs'][N]['schema']>;

export type ParsedJob<C extends QueueCatalog> = {
  [N in JobNameOf<C>]: { name: N; payload: JobPayloadOf<C, N> };
}[JobNameOf<C>];

export function defineQueueCatalog<const J extends Record<string, JobDefinition>>(
  queue: string,
  jobs: J,
): QueueCatalog<J> {
  return { queue, jobs };
}

/** Adds a job after validating its payload against the catalog; the catalog's options apply. */
export async function addCatalogJob<C extends QueueCatalog, N extends JobNameOf<C>>(
  queue: Queue,
  catalog: C,
  name: N,
  payload: JobPayloadOf<C, N>,
  options: JobsOptions = {},
): Promise<Job> {
  const definition = catalog.jobs[name] as JobDefinition;
  const data = definition.schema.parse(payload);
  return queue.add(name, data, { ...definition.options, ...options });
}

/** The thrown error when a job's name or payload does not match the catalog. */
export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  readonly code = 'unknown_job';
}

/** Parses a job taken from the queue into a typed `{ name, payload }`. */
export function parseCatalogJob<C extends QueueCatalog>(
  catalog: C,
  job: Pick<Job, 'name' | 'data'>,
): ParsedJob<C> {
  const definition = catalog.jobs[job.name] as JobDefinition | undefined;
  if (!definition) throw new UnknownJobError(`queue ${catalog.queue} has no job named ${job.name}`);
  const parsed = definition.schema.safeParse(job.data);
  if (!parsed.success) {
    throw new UnknownJobError(
      `job ${job.name} has an invalid payload: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  return { name: job.name, payload: parsed.data } as ParsedJob<C>;
}
