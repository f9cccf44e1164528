import type { TemplateRegistryService } from '@minapush/templates';
import type { WireTemplateData } from '@minapush/wechat';
import { ApiError } from '../http/api-error.js';

/**
 * Refuses a subscribe message whose template or data its app's registry says WeChat would refuse
 * (40037, 47003): 422 with the reason as the code, before anything is stored or queued. Legacy
 * template messages are never checked here (WeChat retired their list API).
 */
export async function refuseUnlessTemplateFits(
  registry: TemplateRegistryService,
  appId: string,
  request: { templateId: string; data: WireTemplateData },
): Promise<void> {
  const verdict = await registry.check(appId, request);
  if (!verdict.ok) throw new ApiError(422, verdict.reason, verdict.message, verdict.details);
}
