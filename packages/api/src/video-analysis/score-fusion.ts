/** Fusing the signals' scores (text, trigram, vector) into one ranking. */
import type { Candidate } from "./search-candidates.ts";
import { searchTuning } from "./search-tuning.ts";

/**
 * Each candidate's rank by its value (1 = best; ties share a rank), by position; null where it has no value. By
 * position rather than by id in a Map: a search ranks every candidate three times (docs/performance.md).
 */
function ranks(values: readonly (number | null)[]): (number | null)[] {
  const order: number[] = [];
  for (let i = 0; i < values.length; i += 1) if (values[i] !== null) order.push(i);
  order.sort((a, b) => (values[b] as number) - (values[a] as number));
  const result = new Array<number | null>(values.length).fill(null);
  let rank = 0;
  let previous: number | null = null;
  order.forEach((at, i) => {
    const v = values[at] as number;
    if (v !== previous) rank = i + 1;
    previous = v;
    result[at] = rank;
  });
  return result;
}

/** Reciprocal rank fusion (Σ 1/(k + rank)) of several rankings, scaled so that 1 means first in every one. */
function reciprocalRankFusion(scores: readonly (readonly (number | null)[])[]): (number | null)[] {
  const k = searchTuning.rrfK;
  const rankings = scores.map(ranks);
  const count = scores[0]?.length ?? 0;
  const fused = new Array<number | null>(count);
  for (let i = 0; i < count; i += 1) {
    let sum: number | null = null;
    for (const ranking of rankings) {
      const rank = ranking[i];
      if (rank !== null && rank !== undefined) sum = (sum ?? 0) + 1 / (k + rank);
    }
    fused[i] = sum === null ? null : (sum * (k + 1)) / scores.length;
  }
  return fused;
}

/**
 * The words (text and trigram: one lexical ranking, as both read the same words) and the embedding, fused by
 * reciprocal rank fusion; each alone is its own score. Counting text and trigram as two votes would let any memory
 * that merely contains the words outvote the embedding. (Min-max "relative score" fusion, tried on the relevance
 * corpus for both steps, found one memory fewer in the top 3 and no better MRR.) Scores by the candidates' positions,
 * null for a candidate without one.
 */
export function fuse(candidates: readonly Candidate[], lexical: boolean, vector: boolean): (number | null)[] {
  const vectors = candidates.map((c) => c.vector);
  if (!lexical) return vectors;
  const words = reciprocalRankFusion([candidates.map((c) => c.text), candidates.map((c) => c.trigram)]);
  return vector ? reciprocalRankFusion([words, vectors]) : words;
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
