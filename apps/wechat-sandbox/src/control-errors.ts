/** Failures of the control API (`/__sandbox/…`), answered as `{error:{code,message}}`. */
export abstract class ControlApiError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
}

export class SandboxAppNotFoundError extends ControlApiError {
  override readonly name = 'SandboxAppNotFoundError';
  readonly code = 'app_not_found';
  readonly status = 404;

  constructor(appId: string) {
    super(`No sandbox app "${appId}": create it first with POST /__sandbox/apps.`);
  }
}

export class SandboxAppExistsError extends ControlApiError {
  override readonly name = 'SandboxAppExistsError';
  readonly code = 'app_exists';
  readonly status = 409;

  constructor(appId: string) {
    super(`A sandbox app "${appId}" exists already: pick another appId or DELETE /__sandbox/apps/${appId}.`);
  }
}

export class TemplateKindConflictError extends ControlApiError {
  override readonly name = 'TemplateKindConflictError';
  readonly code = 'template_kind_conflict';
  readonly status = 409;

  constructor(templateId: string, existingKind: string) {
    super(`Template "${templateId}" is registered as a ${existingKind} template already; use another id.`);
  }
}

export class ControlRequestInvalidError extends ControlApiError {
  override readonly name = 'ControlRequestInvalidError';
  readonly code = 'invalid_request';
  readonly status = 400;
}

export class ControlRouteNotFoundError extends ControlApiError {
  override readonly name = 'ControlRouteNotFoundError';
  readonly code = 'not_found';
  readonly status = 404;

  constructor(method: string, path: string) {
    super(`No route ${method} ${path}; see docs/sandbox.md for the sandbox's endpoints.`);
  }
}
