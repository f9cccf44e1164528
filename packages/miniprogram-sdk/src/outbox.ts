import type { KeyValueStore } from './storage.js';

export interface OutboxEntry<T> {
  value: T;
  /** epoch ms when the credit was captured on this device */
  capturedAt: number;
  /** part of a request whose answer has not come back yet */
  sending: boolean;
}

interface StoredOutbox {
  v: 1;
  entries: Array<{ value: unknown; capturedAt: unknown }>;
}

/**
 * Credits waiting for upload, kept in memory and mirrored to wx storage after every change so
 * that they survive the app being closed. Entries being sent are marked so that a second flush
 * never sends them too; the mark lives in memory only, because after a restart the outcome of
 * that request is unknown and the entries are sent again (the API drops repeats).
 */
export class Outbox<T> {
  private entries: OutboxEntry<T>[] = [];

  constructor(
    private readonly store: KeyValueStore,
    private readonly key: string,
    /** past this many entries the oldest are dropped: they are the nearest to expiry */
    private readonly capacity: number,
    private readonly isValue: (value: unknown) => value is T,
  ) {}

  /** Replaces the memory copy with what storage holds; unreadable entries are skipped. */
  load(): void {
    const stored = this.store.read(this.key) as Partial<StoredOutbox> | undefined;
    const entries: OutboxEntry<T>[] = [];
    if (stored && stored.v === 1 && Array.isArray(stored.entries)) {
      for (const entry of stored.entries) {
        if (!entry || typeof entry.capturedAt !== 'number' || !this.isValue(entry.value)) continue;
        entries.push({ value: entry.value, capturedAt: entry.capturedAt, sending: false });
      }
    }
    this.entries = entries.slice(-this.capacity);
  }

  get size(): number {
    return this.entries.length;
  }

  /** entries not part of a request in flight */
  get waiting(): number {
    let count = 0;
    for (const entry of this.entries) if (!entry.sending) count++;
    return count;
  }

  some(predicate: (value: T) => boolean): boolean {
    for (const entry of this.entries) if (predicate(entry.value)) return true;
    return false;
  }

  add(value: T, capturedAt: number): OutboxEntry<T> {
    const entry: OutboxEntry<T> = { value, capturedAt, sending: false };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    this.save();
    return entry;
  }

  /** Marks one entry as being sent, if it is still here and waiting; answers whether it was. */
  claim(entry: OutboxEntry<T>): boolean {
    if (entry.sending || this.entries.indexOf(entry) < 0) return false;
    entry.sending = true;
    return true;
  }

  /** Removes waiting entries that match; answers how many went. */
  discardWaiting(predicate: (entry: OutboxEntry<T>) => boolean): number {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.sending || !predicate(entry));
    const removed = before - this.entries.length;
    if (removed > 0) this.save();
    return removed;
  }

  /** Marks up to `max` waiting entries, oldest first, as being sent and answers them. */
  take(max: number): OutboxEntry<T>[] {
    const batch: OutboxEntry<T>[] = [];
    for (const entry of this.entries) {
      if (batch.length >= max) break;
      if (entry.sending) continue;
      entry.sending = true;
      batch.push(entry);
    }
    return batch;
  }

  /** The request for `batch` failed: its entries wait for the next attempt. */
  release(batch: readonly OutboxEntry<T>[]): void {
    for (const entry of batch) entry.sending = false;
  }

  releaseAll(): void {
    for (const entry of this.entries) entry.sending = false;
  }

  /** The request for `batch` is over for good (delivered or refused): forget its entries. */
  settle(batch: readonly OutboxEntry<T>[]): void {
    this.entries = this.entries.filter((entry) => batch.indexOf(entry) < 0);
    this.save();
  }

  private save(): void {
    const stored: StoredOutbox = {
      v: 1,
      entries: this.entries.map((entry) => ({ value: entry.value, capturedAt: entry.capturedAt })),
    };
    if (stored.entries.length === 0) this.store.remove(this.key);
    else this.store.write(this.key, stored);
  }
}
