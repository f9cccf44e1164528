-- CreateEnum
CREATE TYPE "credit_kind" AS ENUM ('form_id', 'prepay_id', 'subscribe');

-- CreateEnum
CREATE TYPE "credit_state" AS ENUM ('available', 'claimed', 'spent', 'dead');

-- CreateEnum
CREATE TYPE "message_kind" AS ENUM ('template', 'subscribe');

-- CreateEnum
CREATE TYPE "message_status" AS ENUM ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown', 'cancelled');

-- CreateEnum
CREATE TYPE "attempt_outcome" AS ENUM ('sent', 'rejected', 'transient', 'unknown');

-- CreateEnum
CREATE TYPE "broadcast_status" AS ENUM ('scheduled', 'running', 'paused', 'completed', 'cancelled');

-- CreateEnum
CREATE TYPE "token_mode" AS ENUM ('stable', 'classic');

-- CreateTable
CREATE TABLE "app_users" (
    "id" BIGSERIAL NOT NULL,
    "app_id" VARCHAR(64) NOT NULL,
    "openid" VARCHAR(128) NOT NULL,
    "unionid" VARCHAR(128),
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "send_credits" (
    "id" BIGSERIAL NOT NULL,
    "app_id" VARCHAR(64) NOT NULL,
    "openid" VARCHAR(128) NOT NULL,
    "kind" "credit_kind" NOT NULL,
    "form_id" VARCHAR(256),
    "template_id" VARCHAR(128),
    "uses_left" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "captured_at" TIMESTAMPTZ(3) NOT NULL,
    "state" "credit_state" NOT NULL DEFAULT 'available',
    "source_batch_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "send_credits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" UUID NOT NULL,
    "app_id" VARCHAR(64) NOT NULL,
    "openid" VARCHAR(128) NOT NULL,
    "kind" "message_kind" NOT NULL,
    "template_id" VARCHAR(128) NOT NULL,
    "data" JSONB NOT NULL,
    "page" VARCHAR(1024),
    "emphasis_keyword" VARCHAR(64),
    "miniprogram_state" VARCHAR(16),
    "lang" VARCHAR(8),
    "idempotency_key" VARCHAR(256),
    "request_hash" CHAR(64),
    "status" "message_status" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "errcode" INTEGER,
    "errmsg" VARCHAR(1024),
    "msgid" VARCHAR(64),
    "credit_id" BIGINT,
    "broadcast_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_attempts" (
    "id" BIGSERIAL NOT NULL,
    "message_id" UUID NOT NULL,
    "credit_id" BIGINT,
    "outcome" "attempt_outcome" NOT NULL,
    "errcode" INTEGER,
    "errmsg" VARCHAR(1024),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "broadcasts" (
    "id" UUID NOT NULL,
    "app_id" VARCHAR(64) NOT NULL,
    "kind" "message_kind" NOT NULL,
    "template_id" VARCHAR(128) NOT NULL,
    "data" JSONB NOT NULL,
    "page" VARCHAR(1024),
    "audience" JSONB NOT NULL,
    "send_at" TIMESTAMPTZ(3),
    "status" "broadcast_status" NOT NULL DEFAULT 'scheduled',
    "total" INTEGER NOT NULL DEFAULT 0,
    "paused_reason" VARCHAR(1024),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "broadcasts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "access_token_fetches" (
    "id" BIGSERIAL NOT NULL,
    "app_id" VARCHAR(64) NOT NULL,
    "mode" "token_mode" NOT NULL,
    "access_token" VARCHAR(2048) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "reason" VARCHAR(32) NOT NULL,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "access_token_fetches_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "app_users_app_id_openid_key" ON "app_users"("app_id", "openid");

-- CreateIndex
CREATE INDEX "send_credits_app_id_openid_state_expires_at_idx" ON "send_credits"("app_id", "openid", "state", "expires_at");

-- CreateIndex
CREATE INDEX "send_credits_app_id_openid_template_id_state_idx" ON "send_credits"("app_id", "openid", "template_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "send_credits_app_id_form_id_key" ON "send_credits"("app_id", "form_id");

-- CreateIndex
CREATE UNIQUE INDEX "send_credits_source_batch_id_template_id_key" ON "send_credits"("source_batch_id", "template_id");

-- CreateIndex
CREATE INDEX "messages_status_updated_at_idx" ON "messages"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "messages_app_id_idempotency_key_key" ON "messages"("app_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "messages_broadcast_id_openid_key" ON "messages"("broadcast_id", "openid");

-- CreateIndex
CREATE INDEX "message_attempts_message_id_idx" ON "message_attempts"("message_id");

-- CreateIndex
CREATE INDEX "broadcasts_status_send_at_idx" ON "broadcasts"("status", "send_at");

-- CreateIndex
CREATE INDEX "access_token_fetches_app_id_fetched_at_idx" ON "access_token_fetches"("app_id", "fetched_at");

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_credit_id_fkey" FOREIGN KEY ("credit_id") REFERENCES "send_credits"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_broadcast_id_fkey" FOREIGN KEY ("broadcast_id") REFERENCES "broadcasts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_attempts" ADD CONSTRAINT "message_attempts_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_attempts" ADD CONSTRAINT "message_attempts_credit_id_fkey" FOREIGN KEY ("credit_id") REFERENCES "send_credits"("id") ON DELETE SET NULL ON UPDATE CASCADE;
