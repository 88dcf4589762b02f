/**
 * Finding and scoring candidates in one statement: full text, trigram-corrected words and producer-supplied
 * embeddings. Every value is a parameter; the only values written into SQL text are integers from search-tuning.ts
 * (HNSW needs its dimension literally).
 */
import {
  databaseErrorKind,
  type DriverRows,
  Prisma,
  type PrismaClient,
  QueryVector,
  queryDriverSql,
} from "@memory-mirror/db";
import { LRUCache } from "lru-cache";
import { rethrowDatabaseError } from "../database-errors.ts";
import { InvalidInputError, SearchTimeoutError } from "../errors.ts";
import { memoryFilterConditions } from "./filters.ts";
import type { Embedding } from "./schemas.ts";
import type { SearchInput } from "./search-schemas.ts";
import { type ParsedQuery, websearchText } from "./search-query.ts";
import { INDEXED_DIMENSIONS, searchTuning } from "./search-tuning.ts";
import type { ServiceContext } from "./service-context.ts";
import { columnIndexes, int, numberOrNull, text, texts } from "./stored-row.ts";

/** A word shorter than this is not corrected: "ok" would stand for half the vocabulary. */
const MIN_FUZZY_WORD_LENGTH = 3;

export type VectorPlan =
  | { kind: "none" }
  | {
      kind: "exact" | "hnsw";
      model: string;
      dims: number;
      vector: QueryVector;
      /** Chosen from what an earlier search counted (largeSets), not counted for this one. */
      remembered?: boolean;
    };

export interface Candidate {
  id: string;
  /** Breaks ties the same way on every database (ids are random). */
  videoId: string;
  text: number | null;
  trigram: number | null;
  vector: number | null;
  /** The share of the query's content words (and quoted phrases) the memory holds, typos discounted; 0–1. */
  coverage: number | null;
}

export interface CandidateRow extends Candidate {
  /** The vocabulary's stand-ins for the query's words, on one row of the statement (null on the others). */
  terms: string[] | null;
  vectorHits: number;
}

/**
 * Spaces found holding at least exactScanMax vectors of a model and dimension, per database client (the primary and
 * each replica apart), for LARGE_SET_MS: their searches go through HNSW without counting first, a round trip saved
 * on every search of a busy space. Only that answer is remembered, with the exactScanMax it was measured against
 * (tests lower it). What a stale entry can cost: a set that fell below exactScanMax meanwhile is walked through
 * HNSW instead of scanned exactly (both find its nearest; the walk approximately); a set emptied, or refilled with
 * another dimension, finds nothing through HNSW, and rank() then counts again and answers as it would have.
 * Fewer or no vectors are never remembered: a space's first vectors are found by the very next search.
 */
const LARGE_SET_MS = 10_000;
const largeSets = new WeakMap<PrismaClient, LRUCache<string, number>>();

function largeSetsOf(prisma: PrismaClient): LRUCache<string, number> {
  let sets = largeSets.get(prisma);
  if (!sets) largeSets.set(prisma, (sets = new LRUCache<string, number>({ max: 10_000, ttl: LARGE_SET_MS })));
  return sets;
}

/**
 * Which vectors a query embedding is compared with: none when the space has no vector of its model, a 400 when
 * the model's vectors have another dimension, an exact scan for a small set, HNSW for a large one. `recount` skips
 * what was remembered of the space (see largeSets).
 */
export async function planVectors(
  { prisma, space, signal }: ServiceContext,
  embedding: Embedding | undefined,
  { recount = false } = {},
): Promise<VectorPlan> {
  if (!embedding) return { kind: "none" };
  const dims = embedding.values.length;
  const vector = new QueryVector(embedding.values);
  const key = JSON.stringify([space, embedding.model, dims]);
  const sets = largeSetsOf(prisma);
  if (recount) sets.delete(key);
  else if ((sets.get(key) ?? 0) >= searchTuning.exactScanMax)
    return { kind: "hnsw", model: embedding.model, dims, vector, remembered: true };
  // A bounded count (an index range of at most exactScanMax entries); the other dimensions are looked for only when
  // none matches, as that walk covers every vector of the model.
  const count = Prisma.sql`
    SELECT s."same", CASE WHEN s."same" = 0 THEN (
        SELECT "embeddingDims" FROM "VideoAnalysis"
        WHERE "space" = ${space} AND "embeddingModel" = ${embedding.model} AND "embeddingDims" <> ${dims}::int
        LIMIT 1) END AS "other"
    FROM (SELECT count(*)::int AS "same" FROM (
        SELECT 1 FROM "VideoAnalysis"
        WHERE "space" = ${space} AND "embeddingModel" = ${embedding.model} AND "embeddingDims" = ${dims}::int
        LIMIT ${searchTuning.exactScanMax}::int) AS bounded) AS s`;
  const { rows } = await queryDriverSql(prisma, count, signal).catch(rethrowDatabaseError);
  // One row, always: "same" then "other".
  const same = int(rows[0]?.[0] ?? 0);
  const other = rows[0]?.[1] === null || rows[0]?.[1] === undefined ? null : int(rows[0][1]);
  if (same === 0 && other !== null) {
    throw new InvalidInputError([
      {
        path: "embedding.values",
        message:
          `embedding has ${dims} dimensions, but the vectors of model ${JSON.stringify(embedding.model)} in this space have ` +
          `${other}: send a ${other}-dimensional query vector`,
      },
    ]);
  }
  if (same === 0) return { kind: "none" };
  const kind = same >= searchTuning.exactScanMax && INDEXED_DIMENSIONS.includes(dims) ? "hnsw" : "exact";
  if (kind === "hnsw") sets.set(key, searchTuning.exactScanMax);
  return { kind, model: embedding.model, dims, vector };
}

/**
 * One vocabulary lookup per fuzzy word, run only when the word is among the `words` CTE's (its first occurrence, a
 * content word, within maxFuzzyWords). The word is a bind parameter, not a column of a joined row: the planner then
 * prices the trigram index with the word itself and takes it, where a LATERAL join's unknown word made it read every
 * word of the space (130–190 ms per word at 30,000 words; see docs/performance.md).
 */
function termLookups(space: string, fuzzyWords: string[]): Prisma.Sql {
  if (!fuzzyWords.length)
    return Prisma.sql`SELECT NULL::text AS word, NULL::text AS term, NULL::float8 AS sim WHERE false`;
  const lookups = fuzzyWords.map((w, i) => {
    const word = Prisma.sql`lower(unaccent(${w}::text))`;
    return Prisma.sql`(SELECT ${word} AS word, t."term",
          greatest(similarity(t."term", ${word}), 0.8 * word_similarity(${word}, t."term")) AS sim
        FROM "SearchTerm" t
        WHERE EXISTS (SELECT 1 FROM words WHERE words.first = ${i + 1}::int) AND t."space" = ${space}
          AND t."term" %> ${word}
        ORDER BY sim DESC, t."term"
        LIMIT ${searchTuning.termsPerWord}::int)`;
  });
  return Prisma.join(lookups, " UNION ALL ");
}

/**
 * The statement that finds and scores candidates of every signal the input asks for (exported for its EXPLAIN test).
 * `rowColumns` (SQL on the alias `v`) returns those columns of each candidate too, saving the statement that fetches
 * the chosen rows: when the candidates are the answer (a lone embedding's `limit` nearest), or when the columns are
 * bounded small and nothing is highlighted (a context's, HitColumns.withCandidates).
 */
export function candidateStatement(
  ctx: ServiceContext,
  input: SearchInput,
  parsed: ParsedQuery | null,
  plan: VectorPlan,
  perSignal: number,
  rowColumns: Prisma.Sql | null = null,
): Prisma.Sql {
  const { space } = ctx;
  // Tags and the memory filters (recording time, metadata) narrow every signal's own scan, before its LIMIT.
  const filters = memoryFilterConditions("v", input);
  const rowFilter = filters.length ? Prisma.sql`AND ${Prisma.join(filters, " AND ")}` : Prisma.empty;
  const ctes: Prisma.Sql[] = [];
  const sources: Prisma.Sql[] = [];

  if (parsed) {
    const fuzzyWords = parsed.words.filter((w) => [...w].length >= MIN_FUZZY_WORD_LENGTH);
    const window = Prisma.sql`${searchTuning.rankWindow}::int`;
    const limit = input.limit;
    ctes.push(Prisma.sql`
      q AS MATERIALIZED (
        SELECT websearch_to_tsquery('mm_english', ${websearchText(parsed, "any")}) AS any_q,
               websearch_to_tsquery('mm_english', ${websearchText(parsed, "all")}) AS all_q),
      words AS MATERIALIZED (
        -- Content words only (a stop word would stand for nothing), the first maxFuzzyWords as typed: a pasted
        -- paragraph of rare words costs a bounded number of vocabulary lookups and stand-ins. A word is content when
        -- it has a lexeme: to_tsvector tells as plainto_tsquery would, without the NOTICE the latter sends for a stop
        -- word (flushed at once mid-statement, a wake-up of the client each).
        SELECT d.word, d.first FROM (
          SELECT lower(unaccent(w)) AS word, min(i) AS first FROM unnest(${fuzzyWords}::text[]) WITH ORDINALITY AS u(w, i)
          WHERE to_tsvector('mm_english', w) <> ''::tsvector GROUP BY 1) AS d
        ORDER BY d.first LIMIT ${searchTuning.maxFuzzyWords}::int),
      units AS MATERIALIZED (
        -- What coverage counts: every content word, however short, and every quoted phrase.
        SELECT d.word, plainto_tsquery('mm_english', d.word) AS tq
        FROM (SELECT DISTINCT lower(unaccent(w)) AS word FROM unnest(${parsed.words}::text[]) AS w) AS d
        WHERE to_tsvector('mm_english', d.word) <> ''::tsvector
        UNION ALL
        SELECT NULL, phraseto_tsquery('mm_english', p) FROM unnest(${parsed.phrases.map((p) => p.join(" "))}::text[]) AS p
        -- A phrase of stop words only is no phrase; CASE, so that phraseto_tsquery never sees one (its NOTICE).
        WHERE CASE WHEN to_tsvector('mm_english', p) <> ''::tsvector THEN numnode(phraseto_tsquery('mm_english', p)) > 1 END),
      terms AS MATERIALIZED (
        -- The space's own words that look like each query word, found through the vocabulary's trigram index by
        -- word similarity (typos, prefixes, fragments) and scored by similarity (fragments discounted). Not the %
        -- operator: in the embedded database (PGlite 0.5.16) it hangs the backend in about half of fresh processes.
        SELECT e.word, e.term, e.sim, plainto_tsquery('mm_english', e.term) AS tq
        FROM (${termLookups(space, fuzzyWords)}) AS e
        -- A stop word stands in for nothing (as in words, without plainto_tsquery's NOTICE).
        WHERE e.sim >= ${searchTuning.minTermSimilarity}::float8 AND to_tsvector('mm_english', e.term) <> ''::tsvector),
      fuzzy AS MATERIALIZED (
        -- Stand-ins for words the vocabulary does not hold as typed: exact words are the text signal's. None (every
        -- word known): string_agg gives NULL and so does the strict websearch_to_tsquery, which matches nothing, as an
        -- empty query would; but an empty one makes PostgreSQL send a NOTICE mid-statement, flushed at once, which
        -- wakes the client a second time per search.
        SELECT websearch_to_tsquery('mm_english', string_agg(DISTINCT t.term, ' or ')) AS q
        FROM terms t WHERE NOT EXISTS (SELECT 1 FROM terms x WHERE x.word = t.word AND x.term = t.word)),
      text_all AS MATERIALIZED (
        -- Memories holding every word first: selective, so the common case never ranks half the space.
        SELECT w."id" FROM (
          SELECT v."id", v."videoId", v."searchVector" FROM "VideoAnalysis" v, q
          WHERE v."space" = ${space} AND v."searchVector" @@ q.all_q ${rowFilter}
          LIMIT ${window}) AS w, q
        ORDER BY ts_rank_cd(w."searchVector", q.any_q, 1) DESC, w."videoId"
        LIMIT ${perSignal}::int),
      text_any AS MATERIALIZED (
        SELECT w."id" FROM (
          SELECT v."id", v."videoId", v."searchVector" FROM "VideoAnalysis" v, q
          WHERE v."space" = ${space} AND v."searchVector" @@ q.any_q AND NOT (v."searchVector" @@ q.all_q) ${rowFilter}
          LIMIT ${window}) AS w, q
        ORDER BY ts_rank_cd(w."searchVector", q.any_q, 1) DESC, w."videoId"
        -- Enough memories hold every word: those lead anyway, and ranking the partial matches would cost the most.
        LIMIT (SELECT CASE WHEN count(*) >= ${limit}::int THEN 0 ELSE ${perSignal}::int - count(*) END FROM text_all)),
      fuzzy_hits AS MATERIALIZED (
        SELECT w."id" FROM (
          SELECT v."id", v."videoId", v."searchVector" FROM "VideoAnalysis" v, fuzzy
          WHERE v."space" = ${space} AND v."searchVector" @@ fuzzy.q ${rowFilter}
          LIMIT ${window}) AS w, fuzzy
        ORDER BY ts_rank_cd(w."searchVector", fuzzy.q, 1) DESC, w."videoId"
        LIMIT ${perSignal}::int)`);
    sources.push(
      Prisma.sql`SELECT "id" FROM text_all UNION SELECT "id" FROM text_any UNION SELECT "id" FROM fuzzy_hits`,
    );
  }

  let vectorScore = Prisma.sql`NULL::float8`;
  if (plan.kind !== "none") {
    const vector = Prisma.sql`${plan.vector}::vector`;
    // HNSW is used only when the statement repeats the index's cast and predicate with the literal dimension.
    const dims = Prisma.raw(String(plan.dims));
    const order =
      plan.kind === "hnsw"
        ? Prisma.sql`v."embedding"::vector(${dims}) <=> ${plan.vector}::vector(${dims})`
        : Prisma.sql`v."embedding" <=> ${vector}, v."videoId"`;
    ctes.push(Prisma.sql`
      vector_hits AS MATERIALIZED (
        SELECT v."id" FROM "VideoAnalysis" v
        WHERE v."space" = ${space} AND v."embeddingModel" = ${plan.model} AND v."embeddingDims" = ${dims} ${rowFilter}
        ORDER BY ${order}
        LIMIT ${perSignal}::int)`);
    sources.push(Prisma.sql`SELECT "id" FROM vector_hits`);
    // A zero vector (refused now, but stored by older versions) has no direction: no similarity rather than NaN.
    vectorScore = Prisma.sql`CASE WHEN v."embeddingModel" = ${plan.model} AND v."embeddingDims" = ${dims}
      THEN NULLIF(1 - (v."embedding" <=> ${vector}), 'NaN'::float8) END`;
  }

  const textScores = parsed
    ? Prisma.sql`
        CASE WHEN v."searchVector" @@ q.any_q THEN ts_rank_cd(v."searchVector", q.any_q, 1 | 32) END AS "text",
        m."trigram", m."coverage",
        -- The stand-ins are the statement's, not a row's: on one row only, as every row's copy of the array cost
        -- the client a parse (char by char) per candidate, 15% of a context's allocations.
        CASE WHEN row_number() OVER () = 1 THEN (SELECT array_agg(DISTINCT t.term) FROM terms t) END AS "terms",`
    : Prisma.sql`NULL::float8 AS "text", NULL::float8 AS "trigram", NULL::float8 AS "coverage", NULL::text[] AS "terms",`;
  // One pass over the query's units per memory: the closest stand-in it holds for each word, averaged over the
  // fuzzy words, is the trigram signal; counting a unit it holds outright as 1, averaged over every unit, the
  // coverage that relevance is made of.
  const wordMatches = Prisma.sql`CROSS JOIN q CROSS JOIN LATERAL (
      SELECT sum(u.best) / nullif((SELECT count(*) FROM words), 0) AS "trigram",
             sum(CASE WHEN u.held THEN 1::float8 ELSE coalesce(u.best, 0) END) / nullif(count(*), 0) AS "coverage"
      FROM (
        SELECT v."searchVector" @@ units.tq AS held,
               (SELECT max(t.sim) FROM terms t WHERE t.word = units.word AND v."searchVector" @@ t.tq) AS best
        -- OFFSET 0 keeps this a subquery: pulled up, each of the two uses of "best" became a subplan of its own,
        -- planned and (for a unit not held outright) run twice.
        FROM units OFFSET 0) AS u) AS m`;
  const vectorHits = plan.kind !== "none" ? Prisma.sql`(SELECT count(*)::int FROM vector_hits)` : Prisma.sql`0`;

  return Prisma.sql`
    WITH ${Prisma.join(ctes, ",")},
    candidates AS (${Prisma.join(sources, " UNION ")})
    SELECT ${rowColumns ?? Prisma.sql`v."id", v."videoId"`}, ${textScores}
      ${vectorScore} AS "vector",
      ${vectorHits} AS "vectorHits"
    FROM candidates c JOIN "VideoAnalysis" v ON v."id" = c."id" ${parsed ? wordMatches : Prisma.empty}
    WHERE v."space" = ${space}`;
}

/**
 * Runs the candidate statement, on the driver adapter (queryDriverSql: Prisma Client's runtime around it was a tenth
 * of a search's CPU, docs/performance.md). Its time is bounded by the connection's statement_timeout
 * (DATABASE_TIMEOUT_MS less a margin, see @memory-mirror/db's postgres.ts), so a costly search stops instead of
 * holding its connection for everyone, and answers 503 saying so; the HNSW settings come with the connection too
 * (SESSION_SETTINGS). The result stays as the driver gave it for the caller's `rowColumns`.
 */
export async function findCandidates(
  ctx: ServiceContext,
  input: SearchInput,
  parsed: ParsedQuery | null,
  plan: VectorPlan,
  perSignal: number,
  rowColumns: Prisma.Sql | null = null,
): Promise<{ candidates: CandidateRow[]; result: DriverRows }> {
  const statement = candidateStatement(ctx, input, parsed, plan, perSignal, rowColumns);
  const started = performance.now();
  // Named: its parse and analysis were an eighth of its CPU; its text comes in a few shapes (prepared-statements.ts).
  const result = await queryDriverSql(ctx.prisma, statement, ctx.signal, { prepared: "search" }).catch(
    (error: unknown) => {
      if (databaseErrorKind(error) === "timed_out")
        throw new SearchTimeoutError(performance.now() - started, { cause: error });
      return rethrowDatabaseError(error);
    },
  );
  return { candidates: candidateRowsOf(result), result };
}

/** The candidates' scores as `$queryRaw` read them (tested equal on both databases): numbers, or null. */
export function candidateRowsOf({ columns, rows }: DriverRows): CandidateRow[] {
  const at = columnIndexes(columns, ["id", "videoId", "text", "trigram", "vector", "coverage", "terms", "vectorHits"]);
  return rows.map((v) => ({
    id: text(v[at.id]),
    videoId: text(v[at.videoId]),
    text: numberOrNull(v[at.text]),
    trigram: numberOrNull(v[at.trigram]),
    vector: numberOrNull(v[at.vector]),
    coverage: numberOrNull(v[at.coverage]),
    terms: v[at.terms] === null ? null : texts(v[at.terms]),
    vectorHits: int(v[at.vectorHits]),
  }));
}
