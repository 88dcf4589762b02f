/** The knobs of retrieval, measured with bench/search.ts and the relevance suite. */

/**
 * Embedding sizes with an HNSW index (migration *_add_search): the cast and the predicate in a query must repeat the
 * index's literally, so they come from this list only.
 */
export const INDEXED_DIMENSIONS: readonly number[] = [256, 384, 512, 768, 1024, 1536];

/**
 * Knobs measured with bench/search.ts and the relevance suite; tests may lower exactScanMax to reach HNSW. The HNSW
 * walk's own settings (ef_search, iterative scan) come with every connection: @memory-mirror/db's session-settings.ts.
 */
export const searchTuning = {
  /** A space with fewer vectors of the query's model than this is scanned exactly (cheap, and exact). */
  exactScanMax: 2000,
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
  /**
   * Query words looked up in the vocabulary at most (the first content words as typed): a pasted paragraph of rare
   * words costs a bounded number of index lookups and stand-ins, whatever its length.
   */
  maxFuzzyWords: 12,
};
