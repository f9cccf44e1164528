import { broadcastQueueName } from './broadcasts/catalog.js';
import { creditIngestCatalog } from './credit-ingest/catalog.js';
import { dispatcherMaintenanceCatalog } from './maintenance/catalog.js';
import { bulkQueueName, messageQueueName } from './messages/catalog.js';
import { tokenRefreshCatalog } from './token-refresh/catalog.js';

/**
 * Every queue one deployment runs, for the admin's Bull Board: both send lanes of each app, the
 * fan-out, the token refresher's, the credit intake and the dispatcher's maintenance queue (the
 * reconciler and housekeeping).
 */
export function deploymentQueueNames(appIds: readonly string[]): string[] {
  return [
    ...appIds.flatMap((appId) => [messageQueueName(appId), bulkQueueName(appId)]),
    broadcastQueueName(),
    tokenRefreshCatalog.queue,
    creditIngestCatalog.queue,
    dispatcherMaintenanceCatalog.queue,
  ];
}
