import type { HeldCredit, LeasedMessage } from '@minapush/db';
import {
  HELD_BACK,
  type MiniprogramState,
  RequestNotSentError,
  type SubscribeMessageLang,
  type WechatClient,
  type WechatResult,
} from '@minapush/wechat';
import { answerOf, type SendAnswer } from './send-policy.js';

export type SendingClient = Pick<WechatClient, 'sendTemplateMessage' | 'sendSubscribeMessage'>;

/** WeChat's answer, or `held_back`: the lease was no longer certainly held when the request would have left. */
export type CallOutcome = SendAnswer | { kind: 'held_back' };

/**
 * Sends one leased message with the credit it holds, and reduces WeChat's answer for the policy.
 * `stillHeld` is asked at the last moment, in the tick that writes the request to the socket: a
 * process that froze between its lease check and that write sends nothing.
 */
export async function callWechat(
  wechat: SendingClient,
  message: LeasedMessage,
  credit: HeldCredit,
  accessToken: string,
  stillHeld: () => boolean,
): Promise<CallOutcome> {
  const options = { mayStart: stillHeld };
  const result: WechatResult<{ msgid?: string | undefined }> =
    message.kind === 'template'
      ? await wechat.sendTemplateMessage(
          accessToken,
          {
            touser: message.openid,
            templateId: message.templateId,
            formId: credit.formId ?? '',
            data: message.data,
            page: message.page ?? undefined,
            emphasisKeyword: message.emphasisKeyword ?? undefined,
          },
          options,
        )
      : await wechat.sendSubscribeMessage(
          accessToken,
          {
            touser: message.openid,
            templateId: message.templateId,
            data: message.data,
            page: message.page ?? undefined,
            miniprogramState: (message.miniprogramState as MiniprogramState | null) ?? undefined,
            lang: (message.lang as SubscribeMessageLang | null) ?? undefined,
          },
          options,
        );
  if (!result.ok && result.error instanceof RequestNotSentError && result.error.transportCode === HELD_BACK) {
    return { kind: 'held_back' };
  }
  return answerOf(result);
}
