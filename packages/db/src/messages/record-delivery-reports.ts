import type { LedgerExecutor } from '../credits/ledger-executor.js';

export interface DeliveryReport {
  /** WeChat's msgid of the send, as the send's answer gave it */
  msgId: string;
  /** 0: delivered; anything else: WeChat did not deliver */
  errorCode: number;
  /** WeChat's words for it (`ErrorStatus`), when it gave some */
  errorStatus?: string | undefined;
}

interface Row {
  msgid: string;
}

/**
 * Records on each message what WeChat's subscribe_msg_sent_event said of its delivery, the message
 * found by (app, msgid). Answers the msgIds no message has (yet: the send's completion may not be
 * written when the event comes). Writing the same report again changes nothing.
 */
export async function recordDeliveryReports(
  tx: LedgerExecutor,
  appId: string,
  reportedAt: Date,
  reports: readonly DeliveryReport[],
): Promise<{ unmatched: string[] }> {
  if (reports.length === 0) return { unmatched: [] };
  const rows = await tx.$queryRawUnsafe<Row[]>(
    `UPDATE messages m
      SET delivery_status = CASE WHEN r.errcode = 0 THEN 'delivered' ELSE 'not_delivered' END,
        delivery_errcode = r.errcode,
        delivery_errmsg = r.errmsg,
        delivery_reported_at = $2::timestamptz,
        updated_at = now()
      FROM unnest($3::varchar[], $4::int[], $5::varchar[]) AS r(msgid, errcode, errmsg)
      WHERE m.app_id = $1 AND m.msgid = r.msgid
      RETURNING m.msgid`,
    appId,
    reportedAt,
    reports.map((report) => report.msgId),
    reports.map((report) => report.errorCode),
    reports.map((report) => report.errorStatus?.slice(0, 1024) ?? null),
  );
  const matched = new Set(rows.map((row) => row.msgid));
  return { unmatched: reports.map((report) => report.msgId).filter((msgId) => !matched.has(msgId)) };
}
