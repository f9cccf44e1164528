import type { SandboxApp } from './app-state.js';

/** An app's settings and counters for `GET /__sandbox/apps/:appId`; never its secret or tokens. */
export function describeApp(app: SandboxApp) {
  const now = app.now();
  const { counters, settings } = app;
  return {
    appId: app.appId,
    originalId: app.originalId,
    pages: settings.pages ?? null,
    templates: [...app.templates].map(([id, kind]) => ({ id, kind, ...app.subscribeTemplates.get(id) })),
    dailyTokenLimit: settings.dailyTokenLimit,
    dailySendLimit: { template: app.dailySendLimit('template'), subscribe: app.dailySendLimit('subscribe') },
    perMinuteLimit: settings.perMinuteLimit ?? null,
    sensitiveWords: settings.sensitiveWords ?? [],
    now: new Date(now).toISOString(),
    users: app.users.size,
    tokenFetches: {
      classic: counters.classicFetches.total(),
      stable: counters.stableFetches.total(),
      stableForced: counters.stableForced.total(),
    },
    sends: counters.sends.template.total() + counters.sends.subscribe.total(),
    sendsByKind: { template: counters.sends.template.total(), subscribe: counters.sends.subscribe.total() },
    calls: { ...counters.sendCalls },
    /** calls to gettemplate (`/wxaapi/newtmpl/gettemplate`) */
    templateListCalls: counters.templateListCalls,
    concurrentSends: counters.concurrentSends,
    today: {
      tokenFetches: {
        classic: counters.classicFetches.today(now),
        stable: counters.stableFetches.today(now),
        stableForced: counters.stableForced.today(now),
      },
      sends: { template: counters.sends.template.today(now), subscribe: counters.sends.subscribe.today(now) },
    },
    faults: app.faults.list().map((fault) => ({ ...fault })),
    push: app.pushes.describe() ?? null,
  };
}
