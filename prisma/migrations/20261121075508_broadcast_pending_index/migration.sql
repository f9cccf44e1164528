-- CreateIndex
CREATE INDEX "messages_broadcast_id_status_idx" ON "messages"("broadcast_id", "status");
