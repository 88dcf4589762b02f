-- CreateIndex
CREATE INDEX "VideoAnalysis_createdAt_id_idx" ON "VideoAnalysis"("createdAt", "id");
