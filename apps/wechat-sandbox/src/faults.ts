/**
 * What a fault can target, by the names of the control API: the WeChat endpoints, and
 * `subscribe_delivery`, WeChat's delivery of a subscribe message after its send answered errcode 0
 * (reported by `subscribe_msg_sent_event`).
 */
export const FAULT_ENDPOINTS = [
  'token',
  'stable_token',
  'jscode2session',
  'template_send',
  'subscribe_send',
  'subscribe_delivery',
  'template_list',
  'quota_get',
] as const;

export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

/** Not a call anyone makes, so `'*'` (every call) leaves it alone: only a fault naming it applies. */
const DELIVERY_ENDPOINT: FaultEndpoint = 'subscribe_delivery';

function targets(fault: Fault, endpoint: FaultEndpoint): boolean {
  if (fault.endpoint === '*') return endpoint !== DELIVERY_ENDPOINT;
  return fault.endpoint === endpoint;
}

export interface FaultSpec {
  endpoint: FaultEndpoint | '*';
  /** answer this errcode instead of performing the call */
  errcode?: number;
  /** answer this HTTP status instead of performing the call */
  httpStatus?: number;
  /** wait this long before answering (or before performing the call) */
  delayMs?: number;
  /** perform the call with all its effects, then close the connection without answering */
  dropReply?: boolean;
  /** the number of matching calls the fault applies to; unlimited when absent */
  times?: number;
  /** the chance, per matching call, that the fault fires (default 1) */
  probability?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  /** matching calls left; undefined for "until removed" */
  remaining?: number;
}

/** What the sandbox does to one call because of a fault. */
export interface FaultEffect {
  faultId: string;
  errcode?: number;
  httpStatus?: number;
  delayMs?: number;
  dropReply?: boolean;
}

/** An app's faults, in the order they were added. */
export class FaultList {
  private faults: Fault[] = [];
  private lastId = 0;

  add(spec: FaultSpec): Fault {
    this.lastId += 1;
    const fault: Fault = { ...spec, id: `fault-${this.lastId}`, remaining: spec.times };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /**
   * The effect on the next call to `endpoint`. Matching faults are tried oldest first: a tried fault
   * counts the call against its `times` (fired or not) and rolls its probability; the first that
   * fires decides the effect and the later ones are not tried.
   */
  nextEffect(endpoint: FaultEndpoint, random: () => number): FaultEffect | undefined {
    for (const fault of this.faults) {
      if (!targets(fault, endpoint)) continue;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      const fires = random() < (fault.probability ?? 1);
      if (fires) {
        this.dropExhausted();
        return {
          faultId: fault.id,
          errcode: fault.errcode,
          httpStatus: fault.httpStatus,
          delayMs: fault.delayMs,
          dropReply: fault.dropReply,
        };
      }
    }
    this.dropExhausted();
    return undefined;
  }

  private dropExhausted(): void {
    this.faults = this.faults.filter((fault) => fault.remaining === undefined || fault.remaining > 0);
  }
}
