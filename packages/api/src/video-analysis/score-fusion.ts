/** Fusing the signals' scores (text, trigram, vector) into one ranking. */
import type { Candidate } from "./search-candidates.ts";
import { searchTuning } from "./search-tuning.ts";

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

/**
 * How well a memory answers the query on its own terms, 0–1 and comparable across queries (unlike rank fusion, which
 * only orders one answer): the share of the query's content words and phrases it holds (typos discounted), and its
 * embedding's cosine similarity (below 0 counts as 0). With both, their mean, but never less than the closeness: an
 * embedding compares meaning, so a close vector answers without a shared word ("bread" finds the sourdough loaf),
 * while shared words beside a distant vector are half the evidence. A memory without a vector of the query's model is
 * judged by its words alone.
 */
export function relevance(candidate: Candidate, lexical: boolean, vector: boolean): number {
  const words = lexical ? candidate.coverage : null;
  const closeness = vector && candidate.vector !== null ? Math.max(0, candidate.vector) : null;
  const score =
    words !== null && closeness !== null ? Math.max(closeness, (words + closeness) / 2) : (words ?? closeness ?? 0);
  // Floating-point sums land a hair outside [0, 1].
  return Math.min(1, Math.max(0, score));
}
