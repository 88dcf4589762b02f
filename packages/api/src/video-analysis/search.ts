/** The search operation: candidates ranked by fused score, then the chosen analyses with their highlights. */
import { Prisma } from "@memory-mirror/db";
import { rethrowDatabaseError } from "../database-errors.ts";
import type { VideoAnalysisRow } from "./schemas.ts";
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
import { type StoredRow, storedColumns, toAnalysis } from "./stored-row.ts";

/** Marks around matched words in highlights; ts_headline options. */
const HEADLINE_OPTIONS =
  'StartSel="**", StopSel="**", MaxFragments=2, MaxWords=24, MinWords=10, ShortWord=2, FragmentDelimiter=" … "';

const COLUMNS = storedColumns("v");

/** What the final statement needs to mark the matches of the chosen rows. */
interface Ranked {
  hits: { candidate: Candidate; score: number }[];
  /** The hits' stored rows when the candidate statement returned them (a lone embedding), else fetched later. */
  rows: Map<string, StoredRow> | null;
  highlightQuery: string | null;
  /** Memories that matched at all (score above 0), before minScore and the limit. */
  considered: number;
}

/**
 * Scores each candidate's relevance, keeps those at minScore or above, best first; ties fall to rank fusion, then to
 * the text score, then to the id, on every database.
 */
async function rank(ctx: ServiceContext, input: SearchInput): Promise<Ranked> {
  const parsed = input.query === undefined ? null : parseQuery(input.query);
  // Only punctuation, emoji or operators: nothing to look for in the text.
  const hasText = parsed !== null && parsed.words.length > 0;
  let plan = await planVectors(ctx, input.embedding);
  const nothing: Ranked = { hits: [], rows: null, highlightQuery: null, considered: 0 };
  if (!hasText && plan.kind === "none") return nothing;

  // Fusion needs candidates beyond the limit from every signal; a lone embedding's own order is final.
  const perSignal = hasText ? Math.max(searchTuning.minCandidates, 2 * input.limit) : input.limit;
  // Without text the candidates are the answer (at most `limit`, nothing to highlight): their rows come with them.
  const withRows = !hasText;
  const candidatesFor = (p: VectorPlan) => findCandidates(ctx, input, hasText ? parsed : null, p, perSignal, withRows);
  const vectorHits = (found: CandidateRow[]) => found[0]?.vectorHits ?? 0;
  let rows = await candidatesFor(plan);
  // A selective filter (tags, or a space that is a small share of the table) can leave HNSW's walk short of
  // candidates (pgvector stops at hnsw.max_scan_tuples); an exact scan of the filtered rows still finds them.
  if (plan.kind === "hnsw" && vectorHits(rows) < perSignal) {
    rows = await candidatesFor({ ...plan, kind: "exact" });
    // No vector at all, on a plan not counted for this search: the space may have lost its vectors of this model
    // (or their dimension) since it was counted; counted now, the search answers as it always would.
    if (plan.remembered && vectorHits(rows) === 0) {
      plan = await planVectors(ctx, input.embedding, { recount: true });
      if (!hasText && plan.kind === "none") return nothing;
      if (plan.kind === "none") rows = await candidatesFor(plan);
    }
  }

  const candidates = rows.map(({ id, videoId, text, trigram, vector, coverage }) => ({
    id,
    videoId,
    text,
    trigram,
    vector,
    coverage,
  }));
  const lexical = hasText;
  const vector = plan.kind !== "none";
  // Rank fusion orders memories of equal relevance (coverage comes in steps: 1/3, 2/3…).
  const fused = new Map(fuse(candidates, lexical, vector).map((h) => [h.candidate.id, h.score]));
  const scored = candidates
    .map((candidate) => ({ candidate, score: relevance(candidate, lexical, vector) }))
    .filter((h) => h.score > 0);
  const hits = scored
    .filter((h) => h.score >= input.minScore)
    .sort(
      (a, b) =>
        b.score - a.score ||
        (fused.get(b.candidate.id) ?? 0) - (fused.get(a.candidate.id) ?? 0) ||
        (b.candidate.text ?? -1) - (a.candidate.text ?? -1) ||
        (a.candidate.videoId < b.candidate.videoId ? -1 : a.candidate.videoId > b.candidate.videoId ? 1 : 0),
    );

  let highlightQuery: string | null = null;
  if (hasText && parsed) {
    const terms = rows.find((r) => r.terms)?.terms ?? [];
    highlightQuery = [websearchText(parsed, "any"), ...terms].join(" or ");
  }
  // withRows: the statement returned every stored column beside the scores (toAnalysis reads only the former).
  const stored = withRows ? new Map(rows.map((r) => [r.id, r as StoredRow])) : null;
  return { hits: hits.slice(0, input.limit), rows: stored, highlightQuery, considered: scored.length };
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
  return new Map(rows.map((row) => [row.id, { analysis: toAnalysis(row), highlight: row.highlight }]));
}

/** Hits in rank order, without the description's text work when `highlight` is false (context does not show it). */
export async function searchHits(
  ctx: ServiceContext,
  input: SearchInput,
  options: { highlight: boolean },
): Promise<{ items: SearchHit[]; considered: number }> {
  const { hits, rows, highlightQuery, considered } = await rank(ctx, input);
  const found = rows
    ? new Map([...rows].map(([id, row]) => [id, { analysis: toAnalysis(row), highlight: null }]))
    : await hydrate(
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
  return { items, considered };
}

export function search(ctx: ServiceContext, input: SearchInput): Promise<SearchOutput> {
  return ctx.budget.exclusive(async () => {
    const { filters, when } = applyWhen(input);
    ctx.budget.reserveRows(input.limit);
    const { items } = await searchHits(ctx, { ...input, ...filters }, { highlight: true });
    ctx.budget.charge(
      items.length,
      items.flatMap((i) => [i.analysis.videoId, i.analysis.description, i.highlight ?? ""]),
    );
    return when ? { items, when } : { items };
  });
}
