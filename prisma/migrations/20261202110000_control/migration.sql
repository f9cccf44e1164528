-- Control (issue 10): messages held until their sendAt, and the indexes of the listings.

-- A single message held until then (POST /v1/messages `sendAt`), null: at once.
ALTER TABLE "messages" ADD COLUMN     "send_at" TIMESTAMPTZ(3);

-- GET /v1/broadcasts?appId=…, newest first.
CREATE INDEX "broadcasts_app_id_id_idx" ON "broadcasts"("app_id", "id");

-- GET /v1/messages?openid=…, newest first (uuid v7 ids sort by creation).
CREATE INDEX "messages_openid_id_idx" ON "messages"("openid", "id");

-- A broadcast's messages per status, newest first (GET /v1/messages?broadcastId=…), and its counts
-- per status (GET /v1/broadcasts) as index-only scans, in two partial indexes (the schema cannot state
-- them, see DEVELOPERS.md): every update of a message writes an entry into each index it is in
-- (status is in the predicates of the send engine's indexes, so no update of it is HOT), and a full
-- (broadcast_id, status) index was dropped for that cost in 20261202000000_send_engine_indexes.
-- Settled messages take one entry each, written once, when they settle.
CREATE INDEX "messages_settled_broadcast_idx" ON "messages"("broadcast_id", "status", "id")
WHERE "status" NOT IN ('queued', 'sending');
-- Pending ones are in messages_pending_broadcast_idx already (an entry for each of their versions):
-- the status and id added to its entries list them too. Its "anything pending?" stays as cheap.
DROP INDEX "messages_pending_broadcast_idx";
CREATE INDEX "messages_pending_broadcast_idx" ON "messages"("broadcast_id", "status", "id")
WHERE "status" IN ('queued', 'sending');
