-- AlterTable
ALTER TABLE "broadcasts" ADD COLUMN     "idempotency_key" VARCHAR(256),
ADD COLUMN     "request_hash" CHAR(64);

-- Idempotency keys of broadcasts are unique per app, like those of messages. Written by hand: the
-- schema cannot state a partial index, and broadcasts without a key take no entry here.
CREATE UNIQUE INDEX "broadcasts_app_id_idempotency_key_key" ON "broadcasts"("app_id", "idempotency_key")
WHERE "idempotency_key" IS NOT NULL;
