import { z } from 'zod';
import { noControlCharacters } from './no-control-characters.js';

/**
 * An appId as a request or a job carries it: WeChat's are `wx` and 16 hex digits, but a request
 * may name any configured app, so the check here is only what can be stored and compared; whether
 * the app is one of ours is decided where the configured apps are known.
 */
export const appIdSchema = z.string().min(1).max(64).check(noControlCharacters);
