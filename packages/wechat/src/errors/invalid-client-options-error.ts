/** createWechatClient was given options it cannot work with; thrown at start-up, never per call. */
export class InvalidClientOptionsError extends Error {
  override readonly name = 'InvalidClientOptionsError';
  readonly code = 'invalid_client_options';

  constructor(readonly problems: string[]) {
    super(`Invalid WeChat client options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
