/** Ranking measures of the relevance suite, over binary relevance labels. */

/** Share of the first k results that are relevant, out of those returned (nothing returned counts as 0). */
export function precisionAt(k: number, results: string[], relevant: Set<string>): number {
  const top = results.slice(0, k);
  if (top.length === 0) return 0;
  return top.filter((id) => relevant.has(id)).length / top.length;
}

/** Normalised discounted cumulative gain of the first k results: 1 when every relevant memory leads. */
export function ndcgAt(k: number, results: string[], relevant: Set<string>): number {
  const gain = (hits: boolean[]) => hits.reduce((sum, hit, i) => sum + (hit ? 1 / Math.log2(i + 2) : 0), 0);
  const ideal = gain(Array.from({ length: Math.min(k, relevant.size) }, () => true));
  return ideal === 0 ? 0 : gain(results.slice(0, k).map((id) => relevant.has(id))) / ideal;
}

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
