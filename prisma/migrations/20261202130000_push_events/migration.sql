-- WeChat's message push: each event stored once, then applied to the ledger (docs/push-events.md).

-- CreateTable
CREATE TABLE "wechat_push_events" (
    "id" BIGSERIAL NOT NULL,
    "app_id" VARCHAR(64) NOT NULL,
    "dedupe_key" CHAR(64) NOT NULL,
    "event_type" VARCHAR(16) NOT NULL,
    "openid" VARCHAR(128) NOT NULL,
    "event_time" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "wechat_push_events_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "send_credits" ADD COLUMN     "push_event_id" BIGINT;

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "delivery_errcode" INTEGER,
ADD COLUMN     "delivery_errmsg" VARCHAR(1024),
ADD COLUMN     "delivery_reported_at" TIMESTAMPTZ(3),
ADD COLUMN     "delivery_status" VARCHAR(16);

-- CreateIndex
CREATE UNIQUE INDEX "wechat_push_events_app_id_dedupe_key_key" ON "wechat_push_events"("app_id", "dedupe_key");

-- CreateIndex
CREATE INDEX "wechat_push_events_processed_at_received_at_idx" ON "wechat_push_events"("processed_at", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "send_credits_push_event_id_template_id_key" ON "send_credits"("push_event_id", "template_id");

-- CreateIndex
CREATE INDEX "messages_app_id_msgid_idx" ON "messages"("app_id", "msgid");

-- AddForeignKey
ALTER TABLE "send_credits" ADD CONSTRAINT "send_credits_push_event_id_fkey" FOREIGN KEY ("push_event_id") REFERENCES "wechat_push_events"("id") ON DELETE SET NULL ON UPDATE CASCADE;
