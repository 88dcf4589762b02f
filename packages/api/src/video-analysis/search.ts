/**
 * Retrieval for the clone, in exactly one space: tag counts, hybrid search (full text, trigram-corrected words,
 * producer-supplied embeddings) and context assembly. Every statement is parameterised; the only values written
 * into SQL text are integers from this file's constants (HNSW needs its dimension literally).
 */
import { Prisma } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import { InvalidInputError } from "../errors.ts";
import { SEARCH_LIMIT_MAX } from "../limits.ts";
import type { Embedding, VideoAnalysisRow } from "./schemas.ts";
import {
  type ContextInput,
  type ContextOutput,
  type SearchHit,
  type SearchInput,
  type SearchOutput,
  type TagsInput,
  type TagsOutput,
} from "./search-schemas.ts";
import { type ServiceContext, toAnalysis, vectorLiteral } from "./service.ts";
import { type StoredRow, storedColumns } from "./stored-row.ts";

/**
 * Embedding sizes with an HNSW index (migration *_add_search): the cast and the predicate in a query must repeat the
 * index's literally, so they come from this list only.
 */
export const INDEXED_DIMENSIONS: readonly number[] = [256, 384, 512, 768, 1024, 1536];

/** Knobs measured with bench/search.ts and the relevance suite; tests may lower exactScanMax to reach HNSW. */
export const searchTuning = {
  /** A space with fewer vectors of the query's model than this is scanned exactly (cheap, and exact). */
  exactScanMax: 2000,
  /** HNSW candidate list (pgvector's default is 40): recall@10 ≥ 0.95 with filters at 100k rows needs more. */
  efSearch: 150,
  /**
   * The most memories one lexical branch ranks: a word in a tenth of 100,000 memories would otherwise cost ~25 ms of
   * ranking alone on PostgreSQL, several times that on the embedded database. Past it, the first matches the index yields are ranked (every query holding all the words is
   * ranked in full up to here first, so this bites only for very common words).
   */
  rankWindow: 500,
  /** Candidates each signal contributes before fusion: at least this many, and twice the limit. */
  minCandidates: 50,
  /** Reciprocal rank fusion's k: 60 in the original paper; larger flattens the ranks. */
  rrfK: 60,
  /** A vocabulary word this similar to a query word (trigram similarity, 0–1) stands in for it. */
  minTermSimilarity: 0.45,
  /** At most this many vocabulary words stand in for one query word. */
  termsPerWord: 4,
};

/** Query words considered at most: a pasted paragraph is searched by its first words, never refused as too long. */
const MAX_QUERY_WORDS = 24;
/** A word shorter than this is not corrected: "ok" would stand for half the vocabulary. */
const MIN_FUZZY_WORD_LENGTH = 3;
/** Marks around matched words in highlights; ts_headline options. */
const HEADLINE_OPTIONS =
  'StartSel="**", StopSel="**", MaxFragments=2, MaxWords=24, MinWords=10, ShortWord=2, FragmentDelimiter=" … "';

const COLUMNS = storedColumns("v");

// ---- Query text ---------------------------------------------------------------------------------------------

export interface ParsedQuery {
  /** Distinct words, lower-cased, in the order typed (letters and digits only: no syntax survives). */
  words: string[];
  /** Runs of words a person put in double quotes. */
  phrases: string[][];
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
/** websearch_to_tsquery's own keyword: as a word it would join its neighbours, so it is dropped (a stop word). */
const OPERATOR_WORDS = new Set(["or"]);

/** Splits what a person typed into words and quoted phrases; everything else (operators, quotes, SQL) is a separator. */
export function parseQuery(query: string): ParsedQuery {
  const words: string[] = [];
  const seen = new Set<string>();
  const tokens = (text: string) =>
    (text.normalize("NFC").toLowerCase().match(WORD) ?? []).filter((w) => !OPERATOR_WORDS.has(w));
  for (const word of tokens(query)) {
    if (seen.has(word)) continue;
    seen.add(word);
    words.push(word);
    if (words.length === MAX_QUERY_WORDS) break;
  }
  const phrases: string[][] = [];
  for (const match of query.matchAll(/"([^"]*)"/g)) {
    const phrase = tokens(match[1] ?? "").slice(0, MAX_QUERY_WORDS);
    if (phrase.length > 1 && phrases.length < 4) phrases.push(phrase);
  }
  return { words, phrases };
}

/**
 * The query as websearch_to_tsquery text: only words and quoted phrases, so it can never be a syntax error. `any`
 * joins them with OR (ranking rewards matching more of them), `all` with AND.
 */
function websearchText({ words, phrases }: ParsedQuery, join: "any" | "all"): string {
  const parts = [...phrases.map((p) => `"${p.join(" ")}"`), ...words];
  return parts.join(join === "any" ? " or " : " ");
}

// ---- Search -------------------------------------------------------------------------------------------------

type VectorPlan = { kind: "none" } | { kind: "exact" | "hnsw"; model: string; dims: number; literal: string };

interface Candidate {
  id: string;
  /** Breaks ties the same way on every database (ids are random). */
  videoId: string;
  text: number | null;
  trigram: number | null;
  vector: number | null;
}

interface CandidateRow extends Candidate {
  terms: string[] | null;
  vectorHits: number;
}

/** What the final statement needs to mark the matches of the chosen rows. */
interface Ranked {
  hits: { candidate: Candidate; score: number }[];
  highlightQuery: string | null;
}

/**
 * Which vectors a query embedding is compared with: none when the space has no vector of its model, a 400 when
 * the model's vectors have another dimension, an exact scan for a small set, HNSW for a large one.
 */
async function planVectors({ prisma, space }: ServiceContext, embedding: Embedding | undefined): Promise<VectorPlan> {
  if (!embedding) return { kind: "none" };
  const dims = embedding.values.length;
  // A bounded count (an index range of at most exactScanMax entries); the other dimensions are looked for only when
  // none matches, as that walk covers every vector of the model.
  const [row] = await prisma.$queryRaw<{ same: number; other: number | null }[]>`
    SELECT s."same", CASE WHEN s."same" = 0 THEN (
        SELECT "embeddingDims" FROM "VideoAnalysis"
        WHERE "space" = ${space} AND "embeddingModel" = ${embedding.model} AND "embeddingDims" <> ${dims}::int
        LIMIT 1) END AS "other"
    FROM (SELECT count(*)::int AS "same" FROM (
        SELECT 1 FROM "VideoAnalysis"
        WHERE "space" = ${space} AND "embeddingModel" = ${embedding.model} AND "embeddingDims" = ${dims}::int
        LIMIT ${searchTuning.exactScanMax}::int) AS bounded) AS s`.catch(rethrowDatabaseError);
  const same = row?.same ?? 0;
  const other = row?.other ?? null;
  if (same === 0 && other !== null) {
    throw new InvalidInputError([
      {
        path: "embedding.values",
        message:
          `embedding has ${dims} dimensions, but the vectors of model "${embedding.model}" in this space have ` +
          `${other}: send a ${other}-dimensional query vector`,
      },
    ]);
  }
  if (same === 0) return { kind: "none" };
  const kind = same >= searchTuning.exactScanMax && INDEXED_DIMENSIONS.includes(dims) ? "hnsw" : "exact";
  return { kind, model: embedding.model, dims, literal: vectorLiteral(embedding.values) };
}

/** The statement that finds and scores candidates of every signal the input asks for. */
function candidateStatement(
  ctx: ServiceContext,
  input: SearchInput,
  parsed: ParsedQuery | null,
  plan: VectorPlan,
  perSignal: number,
): Prisma.Sql {
  const { space } = ctx;
  const tagFilter = input.tags?.length ? Prisma.sql`AND v."tags" @> ${input.tags}::text[]` : Prisma.empty;
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
        -- Content words only: a stop word would stand for nothing.
        SELECT DISTINCT lower(unaccent(w)) AS word FROM unnest(${fuzzyWords}::text[]) AS w
        WHERE numnode(plainto_tsquery('mm_english', w)) > 0),
      terms AS MATERIALIZED (
        -- The space's own words that look like each query word, found through the vocabulary's trigram index by
        -- word similarity (typos, prefixes, fragments) and scored by similarity (fragments discounted). Not the %
        -- operator: in the embedded database (PGlite 0.5.16) it hangs the backend in about half of fresh processes.
        SELECT words.word, e.term, e.sim, plainto_tsquery('mm_english', e.term) AS tq
        FROM words CROSS JOIN LATERAL (
          SELECT t."term", greatest(similarity(t."term", words.word), 0.8 * word_similarity(words.word, t."term")) AS sim
          FROM "SearchTerm" t
          WHERE t."space" = ${space} AND t."term" %> words.word
          ORDER BY sim DESC, t."term"
          LIMIT ${searchTuning.termsPerWord}::int) AS e
        WHERE e.sim >= ${searchTuning.minTermSimilarity}::float8 AND numnode(plainto_tsquery('mm_english', e.term)) > 0),
      fuzzy AS MATERIALIZED (
        -- Stand-ins for words the vocabulary does not hold as typed: exact words are the text signal's.
        SELECT websearch_to_tsquery('mm_english', coalesce(string_agg(DISTINCT t.term, ' or '), '')) AS q
        FROM terms t WHERE NOT EXISTS (SELECT 1 FROM terms x WHERE x.word = t.word AND x.term = t.word)),
      text_all AS MATERIALIZED (
        -- Memories holding every word first: selective, so the common case never ranks half the space.
        SELECT w."id" FROM (
          SELECT v."id", v."videoId", v."searchVector" FROM "VideoAnalysis" v, q
          WHERE v."space" = ${space} AND v."searchVector" @@ q.all_q ${tagFilter}
          LIMIT ${window}) AS w, q
        ORDER BY ts_rank_cd(w."searchVector", q.any_q, 1) DESC, w."videoId"
        LIMIT ${perSignal}::int),
      text_any AS MATERIALIZED (
        SELECT w."id" FROM (
          SELECT v."id", v."videoId", v."searchVector" FROM "VideoAnalysis" v, q
          WHERE v."space" = ${space} AND v."searchVector" @@ q.any_q AND NOT (v."searchVector" @@ q.all_q) ${tagFilter}
          LIMIT ${window}) AS w, q
        ORDER BY ts_rank_cd(w."searchVector", q.any_q, 1) DESC, w."videoId"
        -- Enough memories hold every word: those lead anyway, and ranking the partial matches would cost the most.
        LIMIT (SELECT CASE WHEN count(*) >= ${limit}::int THEN 0 ELSE ${perSignal}::int - count(*) END FROM text_all)),
      fuzzy_hits AS MATERIALIZED (
        SELECT w."id" FROM (
          SELECT v."id", v."videoId", v."searchVector" FROM "VideoAnalysis" v, fuzzy
          WHERE v."space" = ${space} AND v."searchVector" @@ fuzzy.q ${tagFilter}
          LIMIT ${window}) AS w, fuzzy
        ORDER BY ts_rank_cd(w."searchVector", fuzzy.q, 1) DESC, w."videoId"
        LIMIT ${perSignal}::int)`);
    sources.push(
      Prisma.sql`SELECT "id" FROM text_all UNION SELECT "id" FROM text_any UNION SELECT "id" FROM fuzzy_hits`,
    );
  }

  let vectorScore = Prisma.sql`NULL::float8`;
  if (plan.kind !== "none") {
    const vector = Prisma.sql`${plan.literal}::vector`;
    // HNSW is used only when the statement repeats the index's cast and predicate with the literal dimension.
    const dims = Prisma.raw(String(plan.dims));
    const order =
      plan.kind === "hnsw"
        ? Prisma.sql`v."embedding"::vector(${dims}) <=> ${plan.literal}::vector(${dims})`
        : Prisma.sql`v."embedding" <=> ${vector}, v."videoId"`;
    ctes.push(Prisma.sql`
      vector_hits AS MATERIALIZED (
        SELECT v."id" FROM "VideoAnalysis" v
        WHERE v."space" = ${space} AND v."embeddingModel" = ${plan.model} AND v."embeddingDims" = ${dims} ${tagFilter}
        ORDER BY ${order}
        LIMIT ${perSignal}::int)`);
    sources.push(Prisma.sql`SELECT "id" FROM vector_hits`);
    vectorScore = Prisma.sql`CASE WHEN v."embeddingModel" = ${plan.model} AND v."embeddingDims" = ${dims}
      THEN 1 - (v."embedding" <=> ${vector}) END`;
  }

  const textScores = parsed
    ? Prisma.sql`
        CASE WHEN v."searchVector" @@ q.any_q THEN ts_rank_cd(v."searchVector", q.any_q, 1 | 32) END AS "text",
        -- Per query word, the closest of its stand-ins the memory holds; averaged over the query's content words.
        (SELECT sum(b.best) / (SELECT count(*) FROM words) FROM (
          SELECT max(t.sim) AS best FROM terms t WHERE v."searchVector" @@ t.tq GROUP BY t.word) AS b) AS "trigram",
        (SELECT array_agg(DISTINCT t.term) FROM terms t) AS "terms",`
    : Prisma.sql`NULL::float8 AS "text", NULL::float8 AS "trigram", NULL::text[] AS "terms",`;
  const vectorHits = plan.kind !== "none" ? Prisma.sql`(SELECT count(*)::int FROM vector_hits)` : Prisma.sql`0`;

  return Prisma.sql`
    WITH ${Prisma.join(ctes, ",")},
    candidates AS (${Prisma.join(sources, " UNION ")})
    SELECT v."id", v."videoId", ${textScores}
      ${vectorScore} AS "vector",
      ${vectorHits} AS "vectorHits"
    FROM candidates c JOIN "VideoAnalysis" v ON v."id" = c."id" ${parsed ? Prisma.sql`CROSS JOIN q` : Prisma.empty}
    WHERE v."space" = ${space}`;
}

async function findCandidates(
  ctx: ServiceContext,
  input: SearchInput,
  parsed: ParsedQuery | null,
  plan: VectorPlan,
  perSignal: number,
): Promise<CandidateRow[]> {
  const statement = candidateStatement(ctx, input, parsed, plan, perSignal);
  if (plan.kind !== "hnsw") return ctx.prisma.$queryRaw<CandidateRow[]>(statement).catch(rethrowDatabaseError);
  // pgvector ≥ 0.8 keeps scanning the graph until enough rows pass the filters (space, model, tags); without it a
  // filtered HNSW scan returns whatever of its first ef_search rows happen to pass.
  const [, rows] = await ctx.prisma
    .$transaction([
      ctx.prisma.$queryRaw`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
        set_config('hnsw.ef_search', ${String(searchTuning.efSearch)}, true)`,
      ctx.prisma.$queryRaw<CandidateRow[]>(statement),
    ])
    .catch(rethrowDatabaseError);
  return rows;
}

/** Ranks of `value` among candidates (1 = best; ties share a rank), for the candidates that have a value. */
function ranks<T extends { id: string }>(candidates: T[], value: (c: T) => number | null): Map<string, number> {
  const scored = candidates
    .filter((c) => value(c) !== null)
    .sort((a, b) => (value(b) as number) - (value(a) as number));
  const result = new Map<string, number>();
  let rank = 0;
  let previous: number | null = null;
  scored.forEach((c, i) => {
    const v = value(c) as number;
    if (v !== previous) rank = i + 1;
    previous = v;
    result.set(c.id, rank);
  });
  return result;
}

/** Reciprocal rank fusion (Σ 1/(k + rank)) of several rankings, scaled so that 1 means first in every one. */
function reciprocalRankFusion<T extends { id: string }>(
  candidates: T[],
  scores: ((c: T) => number | null)[],
): Map<string, number | null> {
  const k = searchTuning.rrfK;
  const rankings = scores.map((score) => ranks(candidates, score));
  const fused = new Map<string, number | null>();
  for (const c of candidates) {
    let sum: number | null = null;
    for (const ranking of rankings) {
      const rank = ranking.get(c.id);
      if (rank !== undefined) sum = (sum ?? 0) + 1 / (k + rank);
    }
    fused.set(c.id, sum === null ? null : (sum * (k + 1)) / scores.length);
  }
  return fused;
}

/**
 * The words (text and trigram: one lexical ranking, as both read the same words) and the embedding, fused by
 * reciprocal rank fusion; each alone is its own score. Counting text and trigram as two votes would let any memory
 * that merely contains the words outvote the embedding. (Min-max "relative score" fusion, tried on the relevance
 * corpus for both steps, found one memory fewer in the top 3 and no better MRR.)
 */
export function fuse(
  candidates: Candidate[],
  lexical: boolean,
  vector: boolean,
): { candidate: Candidate; score: number }[] {
  const words = lexical
    ? reciprocalRankFusion(candidates, [(c) => c.text, (c) => c.trigram])
    : new Map<string, number | null>();
  const both =
    lexical && vector ? reciprocalRankFusion(candidates, [(c) => words.get(c.id) ?? null, (c) => c.vector]) : null;
  const hits: { candidate: Candidate; score: number }[] = [];
  for (const candidate of candidates) {
    const score = both ? both.get(candidate.id) : lexical ? words.get(candidate.id) : candidate.vector;
    if (score !== null && score !== undefined) hits.push({ candidate, score });
  }
  return hits;
}

/** Scores, fuses and orders the candidates; ties fall to the text score, then to the id, on every database. */
async function rank(ctx: ServiceContext, input: SearchInput): Promise<Ranked> {
  const parsed = input.query === undefined ? null : parseQuery(input.query);
  // Only punctuation, emoji or operators: nothing to look for in the text.
  const hasText = parsed !== null && parsed.words.length > 0;
  const plan = await planVectors(ctx, input.embedding);
  if (!hasText && plan.kind === "none") return { hits: [], highlightQuery: null };

  // Fusion needs candidates beyond the limit from every signal; a lone embedding's own order is final.
  const perSignal = hasText ? Math.max(searchTuning.minCandidates, 2 * input.limit) : input.limit;
  let rows = await findCandidates(ctx, input, hasText ? parsed : null, plan, perSignal);
  // A selective filter (tags, or a space that is a small share of the table) can leave HNSW's walk short of
  // candidates (pgvector stops at hnsw.max_scan_tuples); an exact scan of the filtered rows still finds them.
  if (plan.kind === "hnsw" && (rows[0]?.vectorHits ?? 0) < perSignal) {
    rows = await findCandidates(ctx, input, hasText ? parsed : null, { ...plan, kind: "exact" }, perSignal);
  }

  const candidates = rows.map(({ id, videoId, text, trigram, vector }) => ({ id, videoId, text, trigram, vector }));
  const hits = fuse(candidates, hasText, plan.kind !== "none").sort(
    (a, b) =>
      b.score - a.score ||
      (b.candidate.text ?? -1) - (a.candidate.text ?? -1) ||
      (a.candidate.videoId < b.candidate.videoId ? -1 : a.candidate.videoId > b.candidate.videoId ? 1 : 0),
  );

  let highlightQuery: string | null = null;
  if (hasText && parsed) {
    const terms = rows.find((r) => r.terms)?.terms ?? [];
    highlightQuery = [websearchText(parsed, "any"), ...terms].join(" or ");
  }
  return { hits: hits.slice(0, input.limit), highlightQuery };
}

/** The chosen analyses with their highlights, in the given order. */
async function hydrate(
  { prisma, space }: ServiceContext,
  ids: string[],
  highlightQuery: string | null,
): Promise<Map<string, { analysis: VideoAnalysisRow; highlight: string | null }>> {
  if (ids.length === 0) return new Map();
  const highlight =
    highlightQuery === null
      ? Prisma.sql`NULL::text`
      : Prisma.sql`CASE WHEN v."searchVector" @@ h.q THEN ts_headline('mm_english', v."description", h.q, ${HEADLINE_OPTIONS}) END`;
  const rows = await prisma.$queryRaw<(StoredRow & { highlight: string | null })[]>`
    SELECT ${COLUMNS}, ${highlight} AS "highlight"
    FROM "VideoAnalysis" v CROSS JOIN (SELECT websearch_to_tsquery('mm_english', ${highlightQuery ?? ""}) AS q) AS h
    WHERE v."space" = ${space} AND v."id" = ANY(${ids}::text[])`.catch(rethrowDatabaseError);
  return new Map(
    rows.map(({ highlight: marked, ...row }) => [row.id, { analysis: toAnalysis(row), highlight: marked }]),
  );
}

/** Hits in rank order, without the description's text work when `highlight` is false (context does not show it). */
async function searchHits(
  ctx: ServiceContext,
  input: SearchInput,
  options: { highlight: boolean },
): Promise<SearchHit[]> {
  const { hits, highlightQuery } = await rank(ctx, input);
  const found = await hydrate(
    ctx,
    hits.map((h) => h.candidate.id),
    options.highlight ? highlightQuery : null,
  );
  const items: SearchHit[] = [];
  for (const { candidate, score } of hits) {
    const row = found.get(candidate.id);
    if (!row) continue; // deleted between the two statements
    const { text, trigram, vector } = candidate;
    items.push({ analysis: row.analysis, score, highlight: row.highlight, scores: { text, trigram, vector } });
  }
  return items;
}

function search(ctx: ServiceContext, input: SearchInput): Promise<SearchOutput> {
  return ctx.budget.exclusive(async () => {
    ctx.budget.reserveRows(input.limit);
    const items = await searchHits(ctx, input, { highlight: true });
    ctx.budget.charge(
      items.length,
      items.flatMap((i) => [i.analysis.videoId, i.analysis.description, i.highlight ?? ""]),
    );
    return { items };
  });
}

// ---- Tags ---------------------------------------------------------------------------------------------------

function tags(ctx: ServiceContext, { limit }: TagsInput): Promise<TagsOutput> {
  return ctx.budget.exclusive(async () => {
    ctx.budget.reserveRows(limit);
    const items = await ctx.prisma.$queryRaw<{ tag: string; count: number }[]>`
      SELECT t."tag", count(*)::int AS "count"
      FROM "VideoAnalysis" v CROSS JOIN LATERAL unnest(v."tags") AS t("tag")
      WHERE v."space" = ${ctx.space}
      GROUP BY t."tag"
      ORDER BY "count" DESC, t."tag" COLLATE "C"
      LIMIT ${limit}::int`.catch(rethrowDatabaseError);
    ctx.budget.charge(
      items.length,
      items.map((i) => i.tag),
    );
    return { items };
  });
}

// ---- Context ------------------------------------------------------------------------------------------------

/**
 * Search results a context draws on: enough to fill maxChars with short memories (a block is rarely under 80
 * characters), at most as many as one search answers.
 */
const contextCandidates = (maxChars: number) => Math.min(SEARCH_LIMIT_MAX, Math.max(10, Math.ceil(maxChars / 80)));
const BLOCK_SEPARATOR = "\n\n";
const ELLIPSIS = "…";
/** A description cut shorter than this says too little to be worth its header. */
const MIN_CUT_CHARS = 40;

/** One line, whatever the videoId holds: a header must never be broken by the id's own line breaks. */
export function contextHeader(videoId: string, createdAt: Date): string {
  return `## ${videoId.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ")} (${createdAt.toISOString().slice(0, 10)})`;
}

/** `text` cut to at most `max` UTF-16 units at a word boundary (never inside a surrogate pair), plus an ellipsis. */
export function cutAtWord(text: string, max: number): string {
  let end = max - ELLIPSIS.length;
  if (end <= 0) return "";
  // Never split a surrogate pair.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  const head = text.slice(0, end);
  const space = head.search(/\s\S*$/u);
  // A single word longer than the room: cut inside it rather than drop everything.
  const cut = space > end / 2 ? head.slice(0, space) : head;
  return `${cut.replace(/[\s\p{P}]+$/u, "")}${ELLIPSIS}`;
}

interface ContextItem {
  videoId: string;
  createdAt: Date;
  description: string;
  score: number | null;
}

/**
 * Memories as one block of text for a prompt, best first, never longer than maxChars. A memory that does not fit
 * whole is cut at a word with an ellipsis (if at least MIN_CUT_CHARS of it fit) and ends the text; a header is
 * never written without its description.
 */
export function assembleContext(items: ContextItem[], maxChars: number): ContextOutput {
  let text = "";
  const sources: ContextOutput["sources"] = [];
  let truncated = false;
  for (const item of items) {
    const separator = text === "" ? "" : BLOCK_SEPARATOR;
    const header = `${contextHeader(item.videoId, item.createdAt)}\n`;
    const room = maxChars - text.length - separator.length - header.length;
    let body = item.description;
    if (body.length > room) {
      truncated = true;
      body = room >= Math.min(MIN_CUT_CHARS, item.description.length) ? cutAtWord(item.description, room) : "";
      if (body === "") break;
    }
    text += separator + header + body;
    sources.push({ videoId: item.videoId, score: item.score, chars: header.length + body.length });
    if (truncated) break;
  }
  if (sources.length < items.length) truncated = true;
  return { text, sources, truncated };
}

async function byVideoIds(
  { prisma, space }: ServiceContext,
  videoIds: string[],
  tagFilter: string[] | undefined,
): Promise<ContextItem[]> {
  const filter = tagFilter?.length ? Prisma.sql`AND v."tags" @> ${tagFilter}::text[]` : Prisma.empty;
  const rows = await prisma.$queryRaw<{ videoId: string; createdAt: Date; description: string }[]>`
    SELECT v."videoId", v."createdAt", v."description" FROM "VideoAnalysis" v
    WHERE v."space" = ${space} AND v."videoId" = ANY(${videoIds}::text[]) ${filter}`.catch(rethrowDatabaseError);
  const found = new Map(rows.map((r) => [r.videoId, r]));
  const items: ContextItem[] = [];
  for (const videoId of new Set(videoIds)) {
    const row = found.get(videoId);
    if (row) items.push({ ...row, score: null });
  }
  return items;
}

function context(ctx: ServiceContext, input: ContextInput): Promise<ContextOutput> {
  return ctx.budget.exclusive(async () => {
    let items: ContextItem[];
    if (input.videoIds) {
      items = await byVideoIds(ctx, input.videoIds, input.tags);
    } else {
      const hits = await searchHits(
        ctx,
        { query: input.query, embedding: input.embedding, tags: input.tags, limit: contextCandidates(input.maxChars) },
        { highlight: false },
      );
      items = hits.map((h) => ({ ...h.analysis, score: h.score }));
    }
    const output = assembleContext(items, input.maxChars);
    ctx.budget.charge(output.sources.length, [output.text, ...output.sources.map((s) => s.videoId)]);
    return output;
  });
}

/** The retrieval operations by the names every transport gives them. */
export const searchService = { tags, search, context };
