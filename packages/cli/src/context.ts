import type { Command } from 'commander';
import { type ApiClient, createApiClient } from './api-client.js';
import type { CliEnvironment } from './config.js';
import { resolveConnection } from './connection.js';
import { UsageError } from './errors.js';
import type { TextStream } from './progress/progress-display.js';

export interface CliIo {
  stdout: TextStream;
  stderr: TextStream;
  /** all of stdin, for `--openids-file -` */
  readStdin(): Promise<string>;
}

/** What every command gets: where to write, and the environment config.ts read. */
export interface CliContext {
  io: CliIo;
  environment: CliEnvironment;
  /** between two reads of a watched broadcast or waited-for message */
  pollIntervalMs: number;
}

interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function wantsJson(command: Command): boolean {
  return globals(command).json === true;
}

export function clientFor(command: Command, context: CliContext): ApiClient {
  const { url, apiKey } = globals(command);
  return createApiClient(resolveConnection({ url, apiKey }, context.environment));
}

/**
 * The app a command is about: --app, else MINAPUSH_APP_ID; `undefined` lets the server pick its
 * default app (routes with the app in the body), `required` is for routes with the app in the path.
 */
export function appFor(appOption: string | undefined, context: CliContext, required: true): string;
export function appFor(
  appOption: string | undefined,
  context: CliContext,
  required?: false,
): string | undefined;
export function appFor(appOption: string | undefined, context: CliContext, required = false) {
  const appId = appOption ?? context.environment.appId;
  if (appId === undefined && required) {
    throw new UsageError('name the app: --app <appId> (or set MINAPUSH_APP_ID), e.g. --app wxdemo0000000000');
  }
  return appId;
}

/** The command's answer: one JSON document with --json, else the human text; both on stdout. */
export function printResult(command: Command, context: CliContext, json: unknown, human: () => string) {
  if (wantsJson(command)) context.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else context.io.stdout.write(`${human()}\n`);
}

/** A side remark for a person (hints, what to do next): stderr, and never with --json. */
export function remark(command: Command, context: CliContext, text: string) {
  if (!wantsJson(command)) context.io.stderr.write(`${text}\n`);
}
