-- Control (issue 10): messages held until their sendAt, and the indexes of the listings.

-- A single message held until then (POST /v1/messages `sendAt`), null: at once.
ALTER TABLE "messages" ADD COLUMN     "send_at" TIMESTAMPTZ(3);

-- GET /v1/broadcasts?appId=…, newest first.
CREATE INDEX "broadcasts_app_id_id_idx" ON "broadcasts"("app_id", "id");

-- GET /v1/messages?openid=…, newest first (uuid v7 ids sort by creation).
CREATE INDEX "messages_openid_id_idx" ON "messages"("openid", "id");

-- GET /v1/messages?broadcastId=…, newest first, one range per status (merged by the statement), and
-- the counts per status of GET /v1/broadcasts[/:id] as an index-only scan.
CREATE INDEX "messages_broadcast_id_status_id_idx" ON "messages"("broadcast_id", "status", "id");
