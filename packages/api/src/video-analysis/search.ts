/** The search operation: candidates ranked by fused score, then the chosen analyses with their highlights. */
import { type DriverRows, Prisma, queryDriverSql } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import type { SearchHit, SearchInput, SearchOutput } from "./search-schemas.ts";
import { fuse, relevance } from "./score-fusion.ts";
import {
  type Candidate,
  type CandidateRow,
  findCandidates,
  planVectors,
  type VectorPlan,
} from "./search-candidates.ts";
import { parseQuery, websearchText } from "./search-query.ts";
import { searchTuning } from "./search-tuning.ts";
import { applyWhen } from "./when.ts";
import type { ServiceContext } from "./service-context.ts";
import { columnIndexes, type StoredRow, storedColumnList, storedRowsOf, text, toAnalysis } from "./stored-row.ts";

/**
 * What a caller reads of its hits' memories: their columns (SQL on the alias `v`, "id" and "videoId" among them) and
 * how to read them from the driver adapter's values. A search answers whole analyses; a context what its text shows
 * of its 50 hits, packed in one column (context-rows.ts), not the metadata and version it would decode and drop.
 */
export interface HitColumns<R extends { id: string }> {
  sql: Prisma.Sql;
  read(result: DriverRows): R[];
  /**
   * The candidate statement returns these columns on every candidate (hundreds of rows) instead of a second
   * statement fetching the chosen ones: only for columns bounded small, and for callers without highlights.
   */
  withCandidates?: boolean;
}

/** Every stored column: a search answers whole analyses. */
const storedHits: HitColumns<StoredRow> = { sql: Prisma.raw(storedColumnList("v")), read: storedRowsOf };

/** Marks around matched words in highlights; ts_headline options. */
const HEADLINE_OPTIONS =
  'StartSel="**", StopSel="**", MaxFragments=2, MaxWords=24, MinWords=10, ShortWord=2, FragmentDelimiter=" … "';

/** What the final statement needs to mark the matches of the chosen rows. */
interface Ranked<R> {
  hits: { candidate: Candidate; score: number }[];
  /** The hits' rows when the candidate statement returned them (a lone embedding, a context), else fetched later. */
  rows: Map<string, R> | null;
  highlightQuery: string | null;
  /** Memories that matched at all (score above 0), before minScore and the limit. */
  considered: number;
}

/**
 * Scores each candidate's relevance, keeps those at minScore or above, best first; ties fall to rank fusion, then to
 * the text score, then to the id, on every database.
 */
async function rank<R extends { id: string }>(
  ctx: ServiceContext,
  input: SearchInput,
  columns: HitColumns<R>,
  highlight: boolean,
): Promise<Ranked<R>> {
  const parsed = input.query === undefined ? null : parseQuery(input.query);
  // Only punctuation, emoji or operators: nothing to look for in the text.
  const hasText = parsed !== null && parsed.words.length > 0;
  let plan = await planVectors(ctx, input.embedding);
  const nothing: Ranked<R> = { hits: [], rows: null, highlightQuery: null, considered: 0 };
  if (!hasText && plan.kind === "none") return nothing;

  // Fusion needs candidates beyond the limit from every signal; a lone embedding's own order is final.
  const perSignal = hasText ? Math.max(searchTuning.minCandidates, 2 * input.limit) : input.limit;
  // Without text the candidates are the answer (at most `limit`, nothing to highlight): their rows come with them.
  // Columns bounded small without highlights (a context) too: the second statement would only fetch rows, and those
  // columns on every candidate cost the database less than that statement (docs/performance.md).
  const withRows = !hasText || (columns.withCandidates === true && !highlight);
  const candidatesFor = (p: VectorPlan) =>
    findCandidates(ctx, input, hasText ? parsed : null, p, perSignal, withRows ? columns.sql : null);
  const vectorHits = (f: { candidates: CandidateRow[] }) => f.candidates[0]?.vectorHits ?? 0;
  let found = await candidatesFor(plan);
  // A selective filter (tags, or a space that is a small share of the table) can leave HNSW's walk short of
  // candidates (pgvector stops at hnsw.max_scan_tuples); an exact scan of the filtered rows still finds them.
  if (plan.kind === "hnsw" && vectorHits(found) < perSignal) {
    found = await candidatesFor({ ...plan, kind: "exact" });
    // No vector at all, on a plan not counted for this search: the space may have lost its vectors of this model
    // (or their dimension) since it was counted; counted now, the search answers as it always would.
    if (plan.remembered && vectorHits(found) === 0) {
      plan = await planVectors(ctx, input.embedding, { recount: true });
      if (!hasText && plan.kind === "none") return nothing;
      if (plan.kind === "none") found = await candidatesFor(plan);
    }
  }

  const rows = found.candidates;
  const lexical = hasText;
  const vector = plan.kind !== "none";
  // Rank fusion orders memories of equal relevance (coverage comes in steps: 1/3, 2/3…); by position, like `rows`.
  const fused = fuse(rows, lexical, vector);
  // `at`: the candidate's row in the statement's result (withRows reads the chosen ones' columns there).
  const scored: { candidate: Candidate; score: number; fused: number; at: number }[] = [];
  rows.forEach((candidate, at) => {
    const score = relevance(candidate, lexical, vector);
    if (score > 0) scored.push({ candidate, score, fused: fused[at] ?? 0, at });
  });
  const hits = scored
    .filter((h) => h.score >= input.minScore)
    .sort(
      (a, b) =>
        b.score - a.score ||
        b.fused - a.fused ||
        (b.candidate.text ?? -1) - (a.candidate.text ?? -1) ||
        (a.candidate.videoId < b.candidate.videoId ? -1 : a.candidate.videoId > b.candidate.videoId ? 1 : 0),
    );

  let highlightQuery: string | null = null;
  if (hasText && parsed && highlight) {
    const terms = rows.find((r) => r.terms)?.terms ?? [];
    highlightQuery = [websearchText(parsed, "any"), ...terms].join(" or ");
  }
  const chosen = hits.slice(0, input.limit);
  // withRows: the statement returned the caller's columns beside the scores; only the chosen hits' are read.
  let stored: Map<string, R> | null = null;
  if (withRows) {
    const chosenRows = chosen.map((h) => found.result.rows[h.at]!);
    stored = new Map(columns.read({ columns: found.result.columns, rows: chosenRows }).map((r) => [r.id, r]));
  }
  return { hits: chosen, rows: stored, highlightQuery, considered: scored.length };
}

/** The chosen memories with their highlights. */
async function hydrate<R extends { id: string }>(
  { prisma, space, signal }: ServiceContext,
  ids: string[],
  highlightQuery: string | null,
  columns: HitColumns<R>,
): Promise<Map<string, { row: R; highlight: string | null }>> {
  if (ids.length === 0) return new Map();
  const highlight =
    highlightQuery === null
      ? Prisma.sql`NULL::text`
      : Prisma.sql`CASE WHEN v."searchVector" @@ h.q THEN ts_headline('mm_english', v."description", h.q, ${HEADLINE_OPTIONS}) END`;
  const result = await queryDriverSql(
    prisma,
    Prisma.sql`
    SELECT ${columns.sql}, ${highlight} AS "highlight"
    FROM "VideoAnalysis" v CROSS JOIN (SELECT websearch_to_tsquery('mm_english', ${highlightQuery ?? ""}) AS q) AS h
    WHERE v."space" = ${space} AND v."id" = ANY(${ids}::text[])`,
    signal,
    { prepared: "search" },
  ).catch(rethrowDatabaseError);
  const at = columnIndexes(result.columns, ["highlight"]).highlight;
  const rows = columns.read(result);
  const highlightOf = (value: unknown) => (value === null ? null : text(value));
  return new Map(rows.map((row, i) => [row.id, { row, highlight: highlightOf(result.rows[i]![at]) }]));
}

/** A hit: the memory's row as its caller reads it, its relevance, highlight and each signal's score. */
export interface RowHit<R> {
  row: R;
  score: number;
  highlight: string | null;
  scores: Pick<Candidate, "text" | "trigram" | "vector">;
}

/** Hits in rank order, without the description's text work when `highlight` is false (context does not show it). */
export async function searchHits<R extends { id: string }>(
  ctx: ServiceContext,
  input: SearchInput,
  options: { highlight: boolean; columns: HitColumns<R> },
): Promise<{ items: RowHit<R>[]; considered: number }> {
  const { columns } = options;
  const { hits, rows, highlightQuery, considered } = await rank(ctx, input, columns, options.highlight);
  // Rows that came with the candidates are read as they are, without a second Map of them (a context's 50).
  const found = rows
    ? null
    : await hydrate(
        ctx,
        hits.map((h) => h.candidate.id),
        options.highlight ? highlightQuery : null,
        columns,
      );
  const items: RowHit<R>[] = [];
  for (const { candidate, score } of hits) {
    const hit = found ? found.get(candidate.id) : { row: rows!.get(candidate.id)!, highlight: null };
    if (!hit) continue; // deleted between the candidates and the second statement
    const { text, trigram, vector } = candidate;
    items.push({ row: hit.row, score, highlight: hit.highlight, scores: { text, trigram, vector } });
  }
  return { items, considered };
}

export function search(ctx: ServiceContext, input: SearchInput): Promise<SearchOutput> {
  return ctx.budget.exclusive(async () => {
    const { filters, when } = applyWhen(input);
    ctx.budget.reserveRows(input.limit);
    const found = await searchHits(ctx, { ...input, ...filters }, { highlight: true, columns: storedHits });
    const items: SearchHit[] = found.items.map(({ row, score, highlight, scores }) => ({
      analysis: toAnalysis(row),
      score,
      highlight,
      scores,
    }));
    ctx.budget.charge(
      items.length,
      items.flatMap((i) => [i.analysis.videoId, i.analysis.description, i.highlight ?? ""]),
    );
    return when ? { items, when } : { items };
  });
}
