import type { ProcessRegistry } from './processes.mjs';
import type { Services } from './services.mjs';

export type Mode = 'quick' | 'full';

/** The sizes of one mode; the README explains each. */
export interface Sizes {
  limitSends: number;
  naiveUsers: number;
  broadcastAudiences: number[];
  broadcastDispatchers: number[];
  singleMessages: number;
  singleConcurrency: number;
  trickleRatePerSecond: number;
  trickleSeconds: number;
  loadedBroadcastAudience: number;
  /** how long the loaded trickle's messages may take before they count as not sent in time */
  loadedTrickleDeadlineMs: number;
  ingestFormIds: number;
  ingestBatch: number;
  ingestConcurrency: number;
  tokenStormCallers: number;
}

export const SIZES: Record<Mode, Sizes> = {
  quick: {
    limitSends: 10_000,
    naiveUsers: 2_000,
    broadcastAudiences: [10_000],
    broadcastDispatchers: [1, 2],
    singleMessages: 2_000,
    singleConcurrency: 32,
    trickleRatePerSecond: 20,
    trickleSeconds: 10,
    loadedBroadcastAudience: 10_000,
    loadedTrickleDeadlineMs: 10_000,
    ingestFormIds: 20_000,
    ingestBatch: 100,
    ingestConcurrency: 16,
    tokenStormCallers: 1_000,
  },
  full: {
    limitSends: 10_000,
    naiveUsers: 5_000,
    broadcastAudiences: [10_000, 100_000],
    broadcastDispatchers: [1, 2],
    singleMessages: 5_000,
    singleConcurrency: 32,
    trickleRatePerSecond: 20,
    trickleSeconds: 10,
    loadedBroadcastAudience: 10_000,
    loadedTrickleDeadlineMs: 180_000,
    ingestFormIds: 100_000,
    ingestBatch: 100,
    ingestConcurrency: 16,
    tokenStormCallers: 1_000,
  },
};

/** What every scenario gets: the services, the children, and this run's names and secrets. */
export interface RunContext {
  mode: Mode;
  sizes: Sizes;
  services: Services;
  registry: ProcessRegistry;
  /** BullMQ prefix (and token key prefix) of this run; every Redis key of the run starts with it */
  queuePrefix: string;
  apiKey: string;
  sessionSecret: string;
  /** set with --profile: where the dispatcher writes its .cpuprofile */
  profileDir: string | undefined;
  /** empties the bench database and this run's Redis keys; called before each scenario */
  reset(): Promise<void>;
}
