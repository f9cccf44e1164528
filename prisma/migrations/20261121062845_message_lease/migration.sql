-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "lease_owner" UUID,
ADD COLUMN     "lease_until" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "messages_app_id_status_lease_until_idx" ON "messages"("app_id", "status", "lease_until");
