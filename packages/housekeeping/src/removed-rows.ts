/** What one housekeeping run deleted, by what it is. */
export interface RemovedRows {
  credits: number;
  messages: number;
  attempts: number;
  broadcasts: number;
  tokenFetches: number;
  pushEvents: number;
}

/** The table each count is of: the `table` label of minapush_housekeeping_removed_total. */
export const HOUSEKEEPING_TABLES: Readonly<Record<keyof RemovedRows, string>> = {
  credits: 'send_credits',
  messages: 'messages',
  attempts: 'message_attempts',
  broadcasts: 'broadcasts',
  tokenFetches: 'access_token_fetches',
  pushEvents: 'wechat_push_events',
};

/** Each table's count, for the metric. */
export function removedByTable(removed: RemovedRows): Array<[table: string, count: number]> {
  return (Object.keys(HOUSEKEEPING_TABLES) as Array<keyof RemovedRows>).map((key) => [
    HOUSEKEEPING_TABLES[key],
    removed[key],
  ]);
}

export const nothingRemoved = (): RemovedRows => ({
  credits: 0,
  messages: 0,
  attempts: 0,
  broadcasts: 0,
  tokenFetches: 0,
  pushEvents: 0,
});

/** One line's worth: "12 credits, 3 messages, 4 attempts, 0 broadcasts, 1 token fetch, 0 push events". */
export function describeRemoved(removed: RemovedRows): string {
  const part = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return [
    part(removed.credits, 'credit', 'credits'),
    part(removed.messages, 'message', 'messages'),
    part(removed.attempts, 'attempt', 'attempts'),
    part(removed.broadcasts, 'broadcast', 'broadcasts'),
    part(removed.tokenFetches, 'token fetch', 'token fetches'),
    part(removed.pushEvents, 'push event', 'push events'),
  ].join(', ');
}
