-- DropIndex
DROP INDEX "VideoAnalysis_createdAt_id_idx";

-- DropIndex
DROP INDEX "VideoAnalysis_videoId_key";

-- AlterTable
-- Edited by hand: the rows stored before spaces existed belong to the "default" space; new rows must always name
-- theirs, so the default is dropped again right away (the final schema has none).
ALTER TABLE "VideoAnalysis" ADD COLUMN     "space" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "VideoAnalysis" ALTER COLUMN "space" DROP DEFAULT;

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "space" TEXT NOT NULL,
    "scopes" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "expire" TIMESTAMP(3),

    CONSTRAINT "RateLimit_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_name_key" ON "ApiKey"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "VideoAnalysis_space_createdAt_id_idx" ON "VideoAnalysis"("space", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "VideoAnalysis_space_videoId_key" ON "VideoAnalysis"("space", "videoId");
