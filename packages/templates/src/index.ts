export { type RegistrySnapshot, type RegistryState, registrySnapshot } from './registry-snapshot.js';
export {
  checkSubscribeRequest,
  type SubscribeRequestToCheck,
  type TemplateCheck,
  type TemplateRefusalReason,
} from './template-check.js';
export {
  createTemplateRegistry,
  DEFAULT_ON_DEMAND_WINDOW_MS,
  type RegistryCheck,
  type TemplateRegistryResources,
  type TemplateRegistryService,
  type TemplateSyncFailureReason,
  type TemplateSyncOutcome,
  type TemplateSyncTrigger,
} from './template-registry.js';
export { countTemplateSyncs, type TemplateSyncMetrics } from './template-sync-metrics.js';
