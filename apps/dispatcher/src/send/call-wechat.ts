import type { HeldCredit, LeasedMessage } from '@minapush/db';
import type { MiniprogramState, SubscribeMessageLang, WechatClient } from '@minapush/wechat';
import { answerOf, type SendAnswer } from './send-policy.js';

export type SendingClient = Pick<WechatClient, 'sendTemplateMessage' | 'sendSubscribeMessage'>;

/** Sends one leased message with the credit it holds, and reduces WeChat's answer for the policy. */
export async function callWechat(
  wechat: SendingClient,
  message: LeasedMessage,
  credit: HeldCredit,
  accessToken: string,
): Promise<SendAnswer> {
  if (message.kind === 'template') {
    return answerOf(
      await wechat.sendTemplateMessage(accessToken, {
        touser: message.openid,
        templateId: message.templateId,
        formId: credit.formId ?? '',
        data: message.data,
        page: message.page ?? undefined,
        emphasisKeyword: message.emphasisKeyword ?? undefined,
      }),
    );
  }
  return answerOf(
    await wechat.sendSubscribeMessage(accessToken, {
      touser: message.openid,
      templateId: message.templateId,
      data: message.data,
      page: message.page ?? undefined,
      miniprogramState: (message.miniprogramState as MiniprogramState | null) ?? undefined,
      lang: (message.lang as SubscribeMessageLang | null) ?? undefined,
    }),
  );
}
