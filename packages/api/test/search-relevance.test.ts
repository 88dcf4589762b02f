/**
 * Relevance on a corpus written for it (fixtures/search-corpus.ts): every query finds the memory a person expects
 * among the first three, on the embedded database and on PostgreSQL alike. Prints hits@3 per category.
 */
import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createCaller, createContext } from "../src/index.ts";
import { corpus, EMBEDDING_MODEL, queries, type RelevanceQuery } from "./fixtures/search-corpus.ts";

const targets = await testTargets();

const cosine = (a: number[], b: number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
};

const label = (q: RelevanceQuery) =>
  `${q.category}: ${q.query ?? ""}${q.embedding ? " [embedding]" : ""}${q.tags ? ` tags=${q.tags.join(",")}` : ""}`;

it("the corpus is big enough and its embedding queries' neighbours are certain", () => {
  expect(corpus.length).toBeGreaterThanOrEqual(300);
  expect(queries.length).toBeGreaterThanOrEqual(30);
  for (const q of queries.filter((q) => q.category === "embedding" && q.embedding)) {
    const pool = corpus.filter((c) => !q.tags || q.tags.every((t) => c.tags.includes(t)));
    const sims = pool
      .map((c) => ({ id: c.videoId, sim: cosine(c.embedding.values, q.embedding?.values ?? []) }))
      .sort((a, b) => b.sim - a.sim);
    expect(sims[0]?.id).toBe(q.expect);
    // A clear margin: no database's rounding can swap them.
    expect((sims[0]?.sim ?? 0) - (sims[1]?.sim ?? 0)).toBeGreaterThan(0.3);
  }
});

for (const target of targets)
  describe.skipIf(!!target.skip)(`search relevance on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let caller: ReturnType<typeof createCaller>;
    beforeAll(async () => {
      db = await openTestDb(target.name);
      caller = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "me" }));
      for (const analysis of corpus) await caller.videoAnalysis.create(analysis);
    }, 120_000);
    afterAll(async () => {
      await db?.dispose();
    });

    it("finds the expected memory in the top 3 for every query", async () => {
      const perCategory = new Map<string, { hits: number; total: number }>();
      const misses: string[] = [];
      for (const q of queries) {
        const { items } = await caller.videoAnalysis.search({
          query: q.query,
          embedding: q.embedding,
          tags: q.tags,
          limit: 10,
        });
        const top = items.map((i) => i.analysis.videoId);
        const hit = top.slice(0, 3).includes(q.expect);
        const tally = perCategory.get(q.category) ?? { hits: 0, total: 0 };
        tally.total += 1;
        if (hit) tally.hits += 1;
        perCategory.set(q.category, tally);
        if (!hit) misses.push(`${label(q)} → expected ${q.expect}, got ${top.slice(0, 5).join(", ")}`);
      }
      const all = [...perCategory.values()].reduce((a, b) => ({ hits: a.hits + b.hits, total: a.total + b.total }));
      console.log(
        `hits@3 on ${target.name}: ${all.hits}/${all.total} — ` +
          [...perCategory].map(([category, t]) => `${category} ${t.hits}/${t.total}`).join(", "),
      );
      expect(misses, misses.join("\n")).toEqual([]);
    });

    it("explains each result with the signals that matched", async () => {
      const typo = await caller.videoAnalysis.search({ query: "sourdogh" });
      expect(typo.items[0]?.scores).toMatchObject({ text: null, vector: null });
      expect(typo.items[0]?.scores.trigram).toBeGreaterThan(0);
      expect(typo.items[0]?.highlight).toContain("**sourdough**");

      const stem = await caller.videoAnalysis.search({ query: "cooked paella" });
      expect(stem.items[0]?.analysis.videoId).toBe("vid_paella");
      expect(stem.items[0]?.scores.text).toBeGreaterThan(0);
      expect(stem.items[0]?.highlight).toMatch(/\*\*Cooking\*\* \*\*paella\*\*/);

      const vector = await caller.videoAnalysis.search({
        embedding: { model: EMBEDDING_MODEL, values: corpus[0]?.embedding.values ?? [] },
      });
      expect(vector.items[0]).toMatchObject({
        analysis: { videoId: corpus[0]?.videoId },
        scores: { text: null, trigram: null },
        highlight: null,
      });
      expect(vector.items[0]?.score).toBeCloseTo(1, 5);
      expect(vector.items[0]?.scores.vector).toBeCloseTo(1, 5);
      expect(vector.items.map((i) => i.score)).toEqual([...vector.items.map((i) => i.score)].sort((a, b) => b - a));
    });
  });
