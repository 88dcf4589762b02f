-- AlterTable
ALTER TABLE "VideoAnalysis" ADD COLUMN     "metadata" JSONB,
ADD COLUMN     "recordedAt" TIMESTAMPTZ(3),
ADD COLUMN     "recordedAtOffset" SMALLINT;

-- AlterTable
ALTER TABLE "VideoAnalysisVersion" ADD COLUMN     "metadata" JSONB,
ADD COLUMN     "recordedAt" TIMESTAMPTZ(3),
ADD COLUMN     "recordedAtOffset" SMALLINT;

-- CreateIndex
CREATE INDEX "VideoAnalysis_space_recordedAt_id_idx" ON "VideoAnalysis"("space", "recordedAt", "id");

-- CreateIndex
CREATE INDEX "VideoAnalysis_metadata_idx" ON "VideoAnalysis" USING GIN ("metadata" jsonb_path_ops);
