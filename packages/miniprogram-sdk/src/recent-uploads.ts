import { FORM_ID_LIFETIME_MS } from './form-ids.js';
import type { KeyValueStore } from './storage.js';

interface StoredUploads {
  v: 1;
  /** [formId, epoch ms of the upload] */
  ids: Array<[string, number]>;
}

/**
 * formIds the API has already answered for, remembered for their 7-day life (and at most
 * `capacity` of them) so that the same id is never uploaded twice, even across restarts.
 */
export class RecentUploads {
  private ids: Array<[string, number]> = [];

  constructor(
    private readonly store: KeyValueStore,
    private readonly key: string,
    private readonly capacity: number,
  ) {}

  load(now: number): void {
    const stored = this.store.read(this.key) as Partial<StoredUploads> | undefined;
    const ids: Array<[string, number]> = [];
    if (stored && stored.v === 1 && Array.isArray(stored.ids)) {
      for (const item of stored.ids) {
        if (Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'number') {
          ids.push([item[0], item[1]]);
        }
      }
    }
    this.ids = ids;
    this.forgetExpired(now);
  }

  has(formId: string): boolean {
    for (const item of this.ids) if (item[0] === formId) return true;
    return false;
  }

  get size(): number {
    return this.ids.length;
  }

  remember(formIds: readonly string[], now: number): void {
    for (const formId of formIds) this.ids.push([formId, now]);
    this.forgetExpired(now);
    if (this.ids.length > this.capacity) this.ids.splice(0, this.ids.length - this.capacity);
    this.save();
  }

  private forgetExpired(now: number): void {
    const horizon = now - FORM_ID_LIFETIME_MS;
    this.ids = this.ids.filter((item) => item[1] > horizon);
  }

  private save(): void {
    const stored: StoredUploads = { v: 1, ids: this.ids };
    this.store.write(this.key, stored);
  }
}
