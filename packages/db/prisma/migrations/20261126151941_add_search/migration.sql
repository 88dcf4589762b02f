-- Edited by hand around what `pnpm db:migration add_search` generated: Prisma cannot express text search
-- configurations, generated columns, triggers or expression/partial indexes, and its diff leaves all four alone
-- (packages/db/test/schema-drift.test.ts stays green).

CREATE EXTENSION IF NOT EXISTS "pg_trgm";
CREATE EXTENSION IF NOT EXISTS "unaccent";

-- English stems with accents folded ("café" finds "cafe"): the unaccent dictionary filters each word before the
-- stemmer. A configuration (rather than unaccent() in an expression) keeps to_tsvector IMMUTABLE, as a generated
-- column and its index require.
CREATE TEXT SEARCH CONFIGURATION "mm_english" (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION "mm_english" ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
-- The same words unstemmed, lower-cased, accents folded, stop words kept: the vocabulary for typo correction.
CREATE TEXT SEARCH CONFIGURATION "mm_simple" (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION "mm_simple" ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- AlterTable: generated from description, so every writer (raw SQL, Prisma, bulk imports) keeps it right.
ALTER TABLE "VideoAnalysis" ADD COLUMN     "searchVector" tsvector
  GENERATED ALWAYS AS (to_tsvector('mm_english'::regconfig, "description")) STORED;

-- CreateTable
CREATE TABLE "SearchTerm" (
    "space" TEXT NOT NULL,
    "term" TEXT NOT NULL,

    CONSTRAINT "SearchTerm_pkey" PRIMARY KEY ("space","term")
);

-- CreateIndex
CREATE INDEX "SearchTerm_term_idx" ON "SearchTerm" USING GIN ("term" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "VideoAnalysis_searchVector_idx" ON "VideoAnalysis" USING GIN ("searchVector");

-- CreateIndex
CREATE INDEX "VideoAnalysis_space_embeddingModel_embeddingDims_idx" ON "VideoAnalysis"("space", "embeddingModel", "embeddingDims");

-- The words of every written description join their space's vocabulary. One sorted INSERT per statement, so
-- concurrent writers take the vocabulary's keys in the same order (no deadlock), and an update that leaves the
-- description alone adds nothing.
CREATE FUNCTION "mm_collect_search_terms"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "SearchTerm" ("space", "term")
  SELECT DISTINCT n."space", w.term
  FROM new_rows n
  CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('mm_simple'::regconfig, n."description"))) AS w(term)
  WHERE length(w.term) BETWEEN 3 AND 40 AND w.term !~ '^[0-9[:punct:]]+$'
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE FUNCTION "mm_collect_changed_search_terms"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "SearchTerm" ("space", "term")
  SELECT DISTINCT n."space", w.term
  FROM new_rows n
  CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('mm_simple'::regconfig, n."description"))) AS w(term)
  WHERE length(w.term) BETWEEN 3 AND 40 AND w.term !~ '^[0-9[:punct:]]+$'
    AND NOT EXISTS (
      SELECT 1 FROM old_rows o WHERE o."id" = n."id" AND o."space" = n."space" AND o."description" = n."description")
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER "VideoAnalysis_search_terms_insert" AFTER INSERT ON "VideoAnalysis"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mm_collect_search_terms"();
CREATE TRIGGER "VideoAnalysis_search_terms_update" AFTER UPDATE ON "VideoAnalysis"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mm_collect_changed_search_terms"();

-- The analyses stored before this migration.
INSERT INTO "SearchTerm" ("space", "term")
SELECT DISTINCT v."space", w.term
FROM "VideoAnalysis" v
CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('mm_simple'::regconfig, v."description"))) AS w(term)
WHERE length(w.term) BETWEEN 3 AND 40 AND w.term !~ '^[0-9[:punct:]]+$'
ORDER BY 1, 2
ON CONFLICT DO NOTHING;

-- Approximate nearest neighbours (HNSW, cosine) for the common embedding sizes. HNSW needs a fixed dimension, so
-- each index covers the rows of one size through a cast and a predicate, which a query must repeat literally
-- (packages/api/src/video-analysis/search.ts: INDEXED_DIMENSIONS). Other sizes are compared by exact scan.
CREATE INDEX "VideoAnalysis_embedding_256_idx" ON "VideoAnalysis"
  USING hnsw (("embedding"::vector(256)) vector_cosine_ops) WHERE "embeddingDims" = 256;
CREATE INDEX "VideoAnalysis_embedding_384_idx" ON "VideoAnalysis"
  USING hnsw (("embedding"::vector(384)) vector_cosine_ops) WHERE "embeddingDims" = 384;
CREATE INDEX "VideoAnalysis_embedding_512_idx" ON "VideoAnalysis"
  USING hnsw (("embedding"::vector(512)) vector_cosine_ops) WHERE "embeddingDims" = 512;
CREATE INDEX "VideoAnalysis_embedding_768_idx" ON "VideoAnalysis"
  USING hnsw (("embedding"::vector(768)) vector_cosine_ops) WHERE "embeddingDims" = 768;
CREATE INDEX "VideoAnalysis_embedding_1024_idx" ON "VideoAnalysis"
  USING hnsw (("embedding"::vector(1024)) vector_cosine_ops) WHERE "embeddingDims" = 1024;
CREATE INDEX "VideoAnalysis_embedding_1536_idx" ON "VideoAnalysis"
  USING hnsw (("embedding"::vector(1536)) vector_cosine_ops) WHERE "embeddingDims" = 1536;
