/**
 * Relevance on a corpus written for it (fixtures/search-corpus.ts): every query finds the memory a person expects
 * among the first three, on the embedded database and on PostgreSQL alike; results and contexts hold few memories
 * that do not answer (labelled in the fixture); questions nothing answers get nothing. Prints hits@3 per category,
 * precision@3, precision@10, nDCG@10 and the share of relevant memories in contexts.
 */
import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createCaller, createContext } from "../src/index.ts";
import {
  corpus,
  EMBEDDING_MODEL,
  queries,
  type RelevanceQuery,
  rankingQueries,
  unanswerable,
} from "./fixtures/search-corpus.ts";
import { mean, ndcgAt, precisionAt } from "./support/ranking-metrics.ts";
import { TIME_NOW, timeCorpus, timeQuestions } from "./fixtures/time-corpus.ts";

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

/** Every memory a query's labels call relevant. */
const relevantTo = (expect: string | undefined, pattern: RegExp | undefined) =>
  new Set(corpus.filter((c) => c.videoId === expect || pattern?.test(c.description)).map((c) => c.videoId));

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

/** The search fields of a fixture query. */
const pick = (q: { query?: string; embedding?: { model: string; values: number[] }; tags?: string[] }) => ({
  query: q.query,
  embedding: q.embedding,
  tags: q.tags,
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

    it("ranks relevant memories first and keeps the rest out of results and contexts", async () => {
      const judged = [
        ...queries.map((q) => ({ ...q, relevant: relevantTo(q.expect, q.alsoRelevant) })),
        ...rankingQueries.map((q) => ({ query: q.query, relevant: relevantTo(undefined, q.relevant) })),
      ];
      const p3: number[] = [];
      const p10: number[] = [];
      const ndcg: number[] = [];
      const share: number[] = [];
      let included = 0;
      let answered = 0;
      for (const q of judged) {
        const { items } = await caller.videoAnalysis.search({ ...pick(q), limit: 10 });
        const ids = items.map((i) => i.analysis.videoId);
        p3.push(precisionAt(3, ids, q.relevant));
        p10.push(precisionAt(10, ids, q.relevant));
        ndcg.push(ndcgAt(10, ids, q.relevant));
        const context = await caller.videoAnalysis.context(pick(q));
        const sources = context.sources.map((s) => s.videoId);
        included += sources.length;
        if (sources.some((id) => q.relevant.has(id))) answered += 1;
        share.push(sources.length === 0 ? 0 : sources.filter((id) => q.relevant.has(id)).length / sources.length);
      }
      const figures = {
        p3: mean(p3),
        p10: mean(p10),
        ndcg10: mean(ndcg),
        contextShare: mean(share),
        contextAnswered: answered / judged.length,
        memoriesPerContext: included / judged.length,
      };
      console.log(
        `ranking on ${target.name} (${judged.length} queries): precision@3 ${figures.p3.toFixed(3)}, ` +
          `precision@10 ${figures.p10.toFixed(3)}, nDCG@10 ${figures.ndcg10.toFixed(3)}; contexts: ` +
          `${figures.memoriesPerContext.toFixed(1)} memories each, ${figures.contextShare.toFixed(3)} of them relevant, ` +
          `${figures.contextAnswered.toFixed(3)} hold an answer`,
      );
      // Measured 0.873, 0.830, 1.000, 0.981 and 1.000 (0.670, 0.549, 0.976, 0.516, 1.000 with rank-relative scores).
      expect(figures.p3).toBeGreaterThanOrEqual(0.85);
      expect(figures.p10).toBeGreaterThanOrEqual(0.8);
      expect(figures.ndcg10).toBeGreaterThanOrEqual(0.97);
      expect(figures.contextShare).toBeGreaterThanOrEqual(0.95);
      expect(figures.contextAnswered).toBe(1);
    });

    it("answers time questions through when: the right year's memory, where the words match every year's", async () => {
      // A space of its own: the labelled figures above stay those of the main corpus.
      const inTime = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "in-time" }));
      await inTime.videoAnalysis.upsertMany({ items: timeCorpus });
      const ranks = { asked: [] as number[], topic: [] as number[], when: [] as number[] };
      const rank = (output: { items: { analysis: { videoId: string } }[] }, expected: string) =>
        output.items.findIndex((i) => i.analysis.videoId === expected);
      let contexts = 0;
      const contextsWithout = { holding: 0, only: 0 };
      const untied: string[] = [];
      const misses: string[] = [];
      for (const q of timeQuestions) {
        ranks.asked.push(rank(await inTime.videoAnalysis.search({ query: q.asked, limit: 10 }), q.expect));
        const topic = await inTime.videoAnalysis.search({ query: q.query, limit: 10 });
        ranks.topic.push(rank(topic, q.expect));
        // What the questions claim: without when, the right memory ties with another year's on every signal.
        const score = topic.items.find((i) => i.analysis.videoId === q.expect)?.score;
        if (topic.items.filter((i) => i.score === score).length < 2) untied.push(q.query);
        const untimed = await inTime.videoAnalysis.context({ query: q.query });
        if (untimed.sources.some((s) => s.videoId === q.expect)) contextsWithout.holding += 1;
        if (untimed.sources.length === 1 && untimed.sources[0]?.videoId === q.expect) contextsWithout.only += 1;
        const timed = await inTime.videoAnalysis.search({ query: q.query, when: q.when, now: TIME_NOW, limit: 10 });
        ranks.when.push(rank(timed, q.expect));
        const context = await inTime.videoAnalysis.context({ query: q.query, when: q.when, now: TIME_NOW });
        const sources = context.sources.map((s) => s.videoId);
        if (sources.length === 1 && sources[0] === q.expect) contexts += 1;
        else
          misses.push(
            `${q.query} / ${q.when} → search ${timed.items.map((i) => i.analysis.videoId).join(", ")}; context ${sources.join(", ")}`,
          );
      }
      const first = (r: number[]) => r.filter((i) => i === 0).length;
      const top3 = (r: number[]) => r.filter((i) => i >= 0 && i < 3).length;
      const n = timeQuestions.length;
      console.log(
        `time questions on ${target.name} (${n}; first / top 3): the whole question as query ${first(ranks.asked)}/${top3(ranks.asked)}, ` +
          `its topic without when ${first(ranks.topic)}/${top3(ranks.topic)}, topic and when ${first(ranks.when)}/${top3(ranks.when)}; ` +
          `contexts holding exactly the right memory: without when ${contextsWithout.only}/${n} ` +
          `(${contextsWithout.holding}/${n} hold it among other years), with when ${contexts}/${n}`,
      );
      expect(misses, misses.join("\n")).toEqual([]);
      expect(first(ranks.when)).toBe(n);
      expect(untied, "questions whose words alone pick the memory").toEqual([]);
    });

    it("answers nothing to a question nothing answers", async () => {
      const answers: string[] = [];
      for (const q of unanswerable) {
        const { items } = await caller.videoAnalysis.search({ ...pick(q), limit: 10 });
        const context = await caller.videoAnalysis.context(pick(q));
        expect(context.text).toMatch(/^\(No memory (matches this|answers this well enough: .*)\.\)$/);
        if (items.length > 0 || context.sources.length > 0) {
          answers.push(
            `${q.query ?? "[embedding]"} → search ${items.map((i) => `${i.analysis.videoId}:${i.score.toFixed(2)}`).join(", ")}; ` +
              `context ${context.sources.map((s) => s.videoId).join(", ")}`,
          );
        }
      }
      console.log(
        `unanswerable on ${target.name}: ${unanswerable.length - answers.length}/${unanswerable.length} empty`,
      );
      expect(answers, answers.join("\n")).toEqual([]);
    });

    it("scores how well a memory answers, not its rank: a shared name alone stays low", async () => {
      // The issue's example: Leo's other videos share only his name with the question.
      const { items } = await caller.videoAnalysis.search({ query: "when did Leo learn to swim", minScore: 0 });
      expect(items[0]?.analysis.videoId).toBe("vid_swim");
      expect(items[0]?.score).toBeGreaterThanOrEqual(0.6);
      expect(items.slice(1).every((i) => i.score <= 0.4)).toBe(true);
      const context = await caller.videoAnalysis.context({ query: "when did Leo learn to swim" });
      expect(context.sources.map((s) => s.videoId)).toEqual(["vid_swim"]);
      expect(context.considered).toBeGreaterThan(1);
      expect(
        context.text.endsWith(
          `(1 of ${context.considered} memories considered included; ${context.considered - 1} left out as weaker matches.)`,
        ),
      ).toBe(true);
      // A whole answer scores near 1 whatever the query.
      const whole = await caller.videoAnalysis.search({ query: "Biscuit the beagle", minScore: 0.9 });
      expect(whole.items.length).toBeGreaterThan(1);
      expect(whole.items.every((i) => i.analysis.description.includes("Biscuit"))).toBe(true);
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
