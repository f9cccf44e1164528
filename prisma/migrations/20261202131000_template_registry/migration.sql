-- CreateTable
CREATE TABLE "subscribe_templates" (
    "app_id" VARCHAR(64) NOT NULL,
    "template_id" VARCHAR(128) NOT NULL,
    "title" VARCHAR(256) NOT NULL,
    "subscribe_type" VARCHAR(16) NOT NULL,
    "keys" JSONB NOT NULL,
    "synced_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "subscribe_templates_pkey" PRIMARY KEY ("app_id","template_id")
);

-- CreateTable
CREATE TABLE "template_syncs" (
    "app_id" VARCHAR(64) NOT NULL,
    "synced_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "failure" VARCHAR(500),

    CONSTRAINT "template_syncs_pkey" PRIMARY KEY ("app_id")
);
