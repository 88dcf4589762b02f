/** What a person typed, as words and phrases: the only text of a query that reaches SQL. */

/** Query words considered at most: a pasted paragraph is searched by its first words, never refused as too long. */
const MAX_QUERY_WORDS = 24;

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
export function websearchText({ words, phrases }: ParsedQuery, join: "any" | "all"): string {
  const parts = [...phrases.map((p) => `"${p.join(" ")}"`), ...words];
  return parts.join(join === "any" ? " or " : " ");
}
