import type { FormIdSource } from './form-ids.js';

/** What the form-id-button component needs from a client. */
export interface FormIdCollector {
  collect(source: FormIdSource): boolean;
}

let current: FormIdCollector | undefined;

/** Makes `collector` the one form-id-button hands its formIds to (createMinapush does this). */
export function setCurrentCollector(collector: FormIdCollector | undefined): void {
  current = collector;
}

export function clearCurrentCollector(collector: FormIdCollector): void {
  if (current === collector) current = undefined;
}

/**
 * The collector for form-id-button: the last client created, else `getApp().minapush` (for
 * projects whose npm build gave the component its own copy of this module).
 */
export function findCollector(): FormIdCollector | undefined {
  if (current) return current;
  if (typeof getApp !== 'function') return undefined;
  const app = getApp() as { minapush?: unknown } | undefined;
  const candidate = app ? app.minapush : undefined;
  if (candidate && typeof (candidate as FormIdCollector).collect === 'function') {
    return candidate as FormIdCollector;
  }
  return undefined;
}
