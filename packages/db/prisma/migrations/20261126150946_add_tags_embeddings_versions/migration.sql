-- Edited by hand: pgvector's type must exist before the column (on a PostgreSQL server the extension has to be
-- installed, and CREATE EXTENSION needs a role allowed to create it; start-up explains when it is not).
CREATE EXTENSION IF NOT EXISTS "vector";

-- AlterTable
ALTER TABLE "VideoAnalysis" ADD COLUMN     "embedding" vector,
ADD COLUMN     "embeddingDims" INTEGER,
ADD COLUMN     "embeddingModel" TEXT,
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "VideoAnalysis_tags_idx" ON "VideoAnalysis" USING GIN ("tags");
