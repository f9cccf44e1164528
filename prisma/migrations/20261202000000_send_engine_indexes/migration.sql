-- Fewer index entries per send (measured: the send path spends most of its Postgres time on them).

-- A claim changes a credit's state and uses: without state in the indexes (a user has a handful of
-- credits, read by app and openid), and with room on each page, that update stays on its page (HOT)
-- and touches no index.
DROP INDEX "send_credits_app_id_openid_state_expires_at_idx";
DROP INDEX "send_credits_app_id_openid_template_id_state_idx";
CREATE INDEX "send_credits_app_id_openid_expires_at_idx" ON "send_credits"("app_id", "openid", "expires_at");
CREATE INDEX "send_credits_app_id_openid_template_id_idx" ON "send_credits"("app_id", "openid", "template_id");
ALTER TABLE "send_credits" SET (fillfactor = 85);

-- Is anything of the broadcast still pending? Only pending messages are in this partial index,
-- where the full (broadcast_id, status) index took an entry for every version of every message.
DROP INDEX "messages_broadcast_id_status_idx";
CREATE INDEX "messages_pending_broadcast_idx" ON "messages"("broadcast_id")
WHERE "status" IN ('queued', 'sending');

-- Idempotency keys are unique per app. Broadcast messages have none, and now no entry here.
DROP INDEX "messages_app_id_idempotency_key_key";
CREATE UNIQUE INDEX "messages_app_id_idempotency_key_key" ON "messages"("app_id", "idempotency_key")
WHERE "idempotency_key" IS NOT NULL;
