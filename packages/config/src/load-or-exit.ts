import { ConfigError } from './config-error.js';

/**
 * Runs an app's config loader; on a ConfigError prints what is wrong and exits with code 2, so a
 * misconfigured app stops at once with a message instead of a stack trace.
 */
export function loadConfigOrExit<T>(appName: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${appName}: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
