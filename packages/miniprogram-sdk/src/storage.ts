import { StorageError } from './errors.js';
import type { WxRuntime } from './wx-runtime.js';

/** wx storage that never throws: a failed write is reported and the caller carries on in memory. */
export interface KeyValueStore {
  /** the stored value, or undefined when absent or unreadable */
  read(key: string): unknown;
  write(key: string, value: unknown): void;
  remove(key: string): void;
}

export function createWxStore(runtime: WxRuntime, onError: (error: StorageError) => void): KeyValueStore {
  return {
    read(key) {
      try {
        const value = runtime.getStorageSync(key);
        // wx answers '' for a key it does not hold.
        return value === '' || value === null ? undefined : value;
      } catch {
        return undefined;
      }
    },
    write(key, value) {
      try {
        runtime.setStorageSync(key, value);
      } catch (error) {
        onError(new StorageError(key, describe(error)));
      }
    },
    remove(key) {
      try {
        runtime.removeStorageSync(key);
      } catch (error) {
        onError(new StorageError(key, describe(error)));
      }
    },
  };
}

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const { errMsg, message } = error as { errMsg?: unknown; message?: unknown };
    if (typeof errMsg === 'string') return errMsg;
    if (typeof message === 'string') return message;
  }
  return String(error);
}
