-- AlterTable
ALTER TABLE "broadcasts" ADD COLUMN     "quiet_hours" JSONB,
ADD COLUMN     "waiting_until" TIMESTAMPTZ(3);
