-- CreateTable
CREATE TABLE "VideoAnalysisVersion" (
    "analysisId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "description" TEXT NOT NULL,
    "tags" TEXT[],
    "embeddingModel" TEXT,
    "embeddingDims" INTEGER,
    "changedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VideoAnalysisVersion_pkey" PRIMARY KEY ("analysisId","version")
);

-- AddForeignKey
ALTER TABLE "VideoAnalysisVersion" ADD CONSTRAINT "VideoAnalysisVersion_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "VideoAnalysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;
