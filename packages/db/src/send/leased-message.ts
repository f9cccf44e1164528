import type { BroadcastStatus, CreditKind, MessageKind } from '../generated/prisma/client.js';

/** The credit a message holds for its send: one use of a formId, prepay_id or subscription. */
export interface HeldCredit {
  id: bigint;
  kind: CreditKind;
  /** the formId or prepay_id; null for subscribe credits */
  formId: string | null;
}

/** What earlier runs of a message did, read from its attempts when the lease is taken. */
export interface SendHistory {
  /** an earlier call was answered "sent": the message was delivered */
  sent: boolean;
  /** an earlier call got no answer: it may have been delivered */
  unknown: boolean;
  /**
   * an earlier call WITH THE HELD CREDIT got no answer: WeChat may have taken its use (a 41029 on
   * a retry with a formId proves delivery). Every other call WeChat answered without taking it.
   */
  unknownWithHeldCredit: boolean;
  /**
   * an earlier call with the held credit, a prepay_id, got no answer: the message is never sent
   * again (that prepay_id's next use would deliver it again; no 41029 can prove the first landed)
   */
  unknownWithPrepayId: boolean;
}

/** A message taken for sending under a lease. */
export interface LeasedMessage {
  id: string;
  appId: string;
  openid: string;
  kind: MessageKind;
  templateId: string;
  /** WeChat's wire shape: {"thing1":{"value":"…"}} */
  data: Record<string, { value: string }>;
  page: string | null;
  emphasisKeyword: string | null;
  miniprogramState: string | null;
  lang: string | null;
  broadcastId: string | null;
  /** the broadcast's status when the lease was taken */
  broadcastStatus: BroadcastStatus | null;
  batchId: string | null;
  /** held from an earlier run, or claimed by this lease; null when the user has none usable */
  credit: HeldCredit | null;
  history: SendHistory;
  /** the attempt recorded for its call by the lease itself (single messages), as `unknown` */
  attemptId?: bigint;
  /** when it was stored (enqueued): the start of its send latency */
  createdAt: Date;
}

/** A lease on one or more messages, and the fencing token every later write must present. */
export interface SendLease {
  token: bigint;
  /**
   * This process's clock reading (ms) until which the lease is certainly held: taken BEFORE the
   * statement was sent, plus the lease length, so it is never later than the row's lease_until.
   */
  heldUntil: number;
  messages: LeasedMessage[];
}

/** The row shape shared by the statements that answer leased messages. */
export interface LeasedRow {
  id: string;
  app_id: string;
  openid: string;
  kind: MessageKind;
  template_id: string;
  data: Record<string, { value: string }>;
  page: string | null;
  emphasis_keyword: string | null;
  miniprogram_state: string | null;
  lang: string | null;
  broadcast_id: string | null;
  broadcast_status: BroadcastStatus | null;
  batch_id: string | null;
  credit_id: string | null;
  credit_kind: CreditKind | null;
  credit_form_id: string | null;
  sent_before: boolean;
  unknown_before: boolean;
  unknown_with_held: boolean;
  unknown_with_prepay: boolean;
  token: string;
  attempt_id: string | null;
  created_at: Date;
}

export function toLeasedMessage(row: LeasedRow): LeasedMessage {
  return {
    id: row.id,
    appId: row.app_id,
    openid: row.openid,
    kind: row.kind,
    templateId: row.template_id,
    data: row.data,
    page: row.page,
    emphasisKeyword: row.emphasis_keyword,
    miniprogramState: row.miniprogram_state,
    lang: row.lang,
    broadcastId: row.broadcast_id,
    broadcastStatus: row.broadcast_status,
    batchId: row.batch_id,
    credit:
      row.credit_id === null || row.credit_kind === null
        ? null
        : { id: BigInt(row.credit_id), kind: row.credit_kind, formId: row.credit_form_id },
    history: {
      sent: row.sent_before,
      unknown: row.unknown_before,
      unknownWithHeldCredit: row.unknown_with_held,
      unknownWithPrepayId: row.unknown_with_prepay,
    },
    ...(row.attempt_id === null ? {} : { attemptId: BigInt(row.attempt_id) }),
    createdAt: row.created_at,
  };
}
