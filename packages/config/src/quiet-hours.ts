import { z } from 'zod';

/** China time: the zone quiet hours are read in unless they name another. */
export const CHINA_TIME_ZONE = 'Asia/Shanghai';

/** Longest time zone name accepted (the longest IANA name is 32 characters). */
const MAX_TIME_ZONE_LENGTH = 64;

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const clockTime = (what: string) => {
  const message = `must be a string HH:MM on a 24-hour clock, 00:00 to 23:59 (e.g. "22:00"), ${what}`;
  return z.string({ error: message }).regex(CLOCK_TIME, message).describe(`HH:MM, 00:00 to 23:59, ${what}`);
};

/**
 * The IANA name Intl knows `name` by (`asia/shanghai` and `PRC` are `Asia/Shanghai`), or
 * undefined when this Node's time zone data has no such zone.
 */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * Quiet hours: a daily window of wall-clock time in which broadcasts send nothing. `end` is not
 * part of it; a window whose end comes before its start crosses midnight (22:00 to 08:00). The
 * time zone is normalised to its IANA name, China time when absent.
 */
export const quietHoursSchema = z
  .strictObject({
    start: clockTime('when the quiet hours begin'),
    end: clockTime('when they end (the first minute that may send again)'),
    timezone: z
      .string()
      .max(MAX_TIME_ZONE_LENGTH, `must be at most ${MAX_TIME_ZONE_LENGTH} characters`)
      .optional()
      .transform((name, ctx) => {
        const canonical = canonicalTimeZone(name ?? CHINA_TIME_ZONE);
        if (canonical === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `is not an IANA time zone this server knows; use a name such as "${CHINA_TIME_ZONE}" or "Europe/Berlin", or leave it out for China time`,
          });
          return z.NEVER;
        }
        return canonical;
      })
      .describe(`an IANA time zone name; default ${CHINA_TIME_ZONE} (China time)`),
  })
  .refine((window) => window.start !== window.end, {
    path: ['end'],
    message: 'must differ from start: a window from a time to itself is empty (or the whole day)',
  });

export type QuietHours = z.output<typeof quietHoursSchema>;
