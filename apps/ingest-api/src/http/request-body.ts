import express, { type RequestHandler } from 'express';

/** Request bodies above this are refused with 413 (100 formIds of 256 characters fit easily). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body of at most `limitBytes` (or a form of at most MAX_BODY_BYTES: older
 * mini-program clients post formIds that way). Each route mounts it after its authentication, so
 * that a request without valid credentials is answered 401 before a byte of its body is read: an
 * anonymous client cannot make the API buffer and parse megabytes.
 */
export function readBody(limitBytes: number = MAX_BODY_BYTES): RequestHandler[] {
  return [
    express.json({ limit: limitBytes, strict: true }),
    express.urlencoded({ extended: false, limit: MAX_BODY_BYTES, parameterLimit: 300 }),
  ];
}
