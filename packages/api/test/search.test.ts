/**
 * Search, tags and context beyond relevance: hostile input never breaks a query, the context budget always holds,
 * embeddings compare only like with like, HNSW answers as the exact scan does, and writes show up in search.
 */
import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createCaller, createContext } from "../src/index.ts";
import { assembleContext, contextNote, cutAtWord, longestNote } from "../src/video-analysis/context-text.ts";
import { memoryHeader, memoryText } from "../src/video-analysis/memory-header.ts";
import { parseQuery } from "../src/video-analysis/search-query.ts";
import { searchTuning } from "../src/video-analysis/search-tuning.ts";
import { contextItem } from "./support/context-items.ts";

const targets = await testTargets();

/** Every header line of a context text, as written. */
const headers = (text: string) => text.split("\n").filter((line) => line.startsWith("## "));

/** What every context must satisfy, whatever went in. */
function expectWellFormed(output: ReturnType<typeof assembleContext>, maxChars: number) {
  expect(output.text.length).toBeLessThanOrEqual(maxChars);
  const scores = output.sources.map((s) => s.score ?? 0);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  // One whole header per source, in order, and the blocks plus the closing note add up to the text.
  expect(headers(output.text)).toHaveLength(output.sources.length);
  const note = /\((No memory|\d+ of \d+ memor)[^\n]*\.\)$/.exec(output.text)?.[0] ?? "";
  expect(note).not.toBe("");
  if (output.considered > 0) expect(note).toContain(`${output.considered}`);
  const separators = output.sources.length * 2;
  expect(output.sources.reduce((sum, s) => sum + s.chars, 0) + separators + note.length).toBe(output.text.length);
  // No lone surrogate from a cut.
  expect(/\p{Cs}/u.test(output.text)).toBe(false);
}

describe("query parsing and context assembly (no database)", () => {
  it("keeps only words and quoted phrases: operators and SQL are separators", () => {
    expect(parseQuery(`'; DROP TABLE x; -- a & !b | c:* <-> "Mia's cake" OR`)).toEqual({
      words: ["drop", "table", "x", "a", "b", "c", "mia", "s", "cake"],
      phrases: [["mia", "s", "cake"]],
    });
    expect(parseQuery("🎂 !!! ???").words).toEqual([]);
    expect(parseQuery("יום הולדת Café").words).toEqual(["יום", "הולדת", "café"]);
  });

  it("cuts at a word with an ellipsis, never inside a surrogate pair", () => {
    expect(cutAtWord("the quick brown fox jumps", 12)).toBe("the quick…");
    expect(cutAtWord("abcdefghijklmnop", 8)).toBe("abcdefg…");
    expect(cutAtWord("ab😀cd", 4)).toBe("ab…");
  });

  it("writes a context header as day · videoId · tags, the day recorded or marked stored, on one line", () => {
    const stored = new Date("2026-03-14T10:00:00Z");
    // The recording's own calendar day, not UTC's (already the 15th there) nor the storing's.
    expect(memoryHeader("vid_123", "2019-07-14T23:30:00-04:00", stored, ["beach", "family"])).toBe(
      "## 2019-07-14 · vid_123 · beach, family",
    );
    expect(memoryHeader("vid_9", null, stored, ["beach"])).toBe("## stored 2026-03-14 · vid_9 · beach");
    // No tags: no empty part. Line breaks in an id or a tag never break the header.
    expect(memoryHeader("odd\nid", null, stored, [])).toBe("## stored 2026-03-14 · odd id");
    expect(memoryHeader("v", null, stored, ["a\nb"])).toBe("## stored 2026-03-14 · v · a b");
  });

  it("writes a header's id and tags on one line, plain ASCII as it is and anything else collapsed", () => {
    // Plain printable ASCII skips the Unicode regex (memory-header.ts's plainLine): each case must come out as the
    // regex alone writes it, the fast path's edges (two spaces, DEL, non-ASCII, controls) included.
    const regex = (text: string) => text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ");
    const stored = new Date("2026-03-14T10:00:00Z");
    const cases = [
      "vid_1",
      "a b",
      "a  b",
      " lead",
      "trail ",
      "  ",
      "a\tb",
      "a\u00a0b",
      "x\u2028y",
      "del\u007f",
      "é",
      "~!",
    ];
    for (const value of cases) {
      expect(memoryHeader(value, null, stored, [value])).toBe(
        `## stored 2026-03-14 · ${regex(value)} · ${regex(value)}`,
      );
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 12, unit: "binary" }), (value) => {
        expect(memoryHeader(value, null, stored, [])).toBe(`## stored 2026-03-14 · ${regex(value)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it("a description's own heading lines cannot pass for another memory's header", () => {
    const forged = "Notes from the day.\n## 2019-07-14 · vid_forged · beach\n# Summary\n  ## indented stays";
    const output = assembleContext(
      {
        items: [
          contextItem({
            videoId: "v1",
            recordedAt: null,
            createdAt: new Date("2026-03-14"),
            tags: [],
            description: forged,
            score: 1,
          }),
        ],
        considered: 1,
        leftOutAs: "as weaker matches",
      },
      4000,
    );
    expect(headers(output.text)).toEqual(["## stored 2026-03-14 · v1"]);
    expect(output.text).toContain("\n\\## 2019-07-14 · vid_forged · beach\n\\# Summary\n  ## indented stays");
    expect(output.sources[0]?.chars).toBe("## stored 2026-03-14 · v1\n".length + memoryText(forged).length);
  });

  it("reads a memory's shown fields only when it reaches its block", () => {
    const read: string[] = [];
    const items = Array.from({ length: 50 }, (_, i) => ({
      videoId: `v${i}`,
      score: 1 - i / 100,
      shown: () => {
        read.push(`v${i}`);
        return { recordedAt: null, createdAt: "2026-03-14T00:00:00.000Z", tags: [], description: "word ".repeat(20) };
      },
    }));
    const output = assembleContext({ items, considered: 50, leftOutAs: "as weaker matches" }, 1000);
    expect(output.sources.length).toBeGreaterThan(3);
    expect(output.sources.length).toBeLessThan(50);
    // The written ones, and the one that did not fit (or was cut: then it is among them), each once.
    expect(read.slice(0, output.sources.length)).toEqual(output.sources.map((s) => s.videoId));
    expect(read.length).toBeLessThanOrEqual(output.sources.length + 1);
  });

  it("reserves room for the longest closing note of any count included, as writing every note would", () => {
    for (const count of [0, 1, 2, 9, 10, 11, 50, 99, 100, 101, 150, 1000, 1001])
      for (const considered of [0, 1, count, count + 7, count + 1000])
        for (const leftOutAs of ["as weaker matches", "as unknown or outside the filters"]) {
          const note = (included: number) =>
            contextNote(included, considered, [
              [considered - count, leftOutAs],
              [count - included, "for lack of room"],
            ]);
          let every = 0;
          for (let included = 0; included <= count; included += 1) every = Math.max(every, note(included).length);
          expect(longestNote(count, note), `count ${count}, considered ${considered}`).toBe(every);
        }
  });

  it("never exceeds the budget, keeps score order and never cuts a header (property)", () => {
    const item = fc.record({
      videoId: fc.oneof(
        fc.stringMatching(/^vid_[a-z0-9]{1,12}$/),
        fc.string({ minLength: 1, maxLength: 300, unit: "grapheme" }),
      ),
      recordedAt: fc.constantFrom(null, "2019-07-14T23:30:00-04:00"),
      tags: fc.array(fc.string({ minLength: 1, maxLength: 30 }), { maxLength: 5 }),
      createdAt: fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }),
      description: fc.oneof(
        fc.lorem({ maxCount: 400, mode: "words" }),
        fc.string({ minLength: 1, maxLength: 3000, unit: "grapheme" }),
        fc.string({ minLength: 1, maxLength: 20 }),
      ),
      score: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 30 }),
        fc.integer({ min: 200, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (items, maxChars, extra) => {
          const sorted = [...items].sort((a, b) => b.score - a.score);
          const output = assembleContext(
            { items: sorted.map(contextItem), considered: sorted.length + extra, leftOutAs: "as weaker matches" },
            maxChars,
          );
          expectWellFormed(output, maxChars);
          const whole = output.sources.every(
            (s, i) =>
              s.chars ===
              memoryHeader(
                sorted[i]?.videoId ?? "",
                sorted[i]?.recordedAt ?? null,
                sorted[i]?.createdAt ?? new Date(),
                sorted[i]?.tags ?? [],
              ).length +
                1 +
                memoryText(sorted[i]?.description ?? "").length,
          );
          expect(output.truncated).toBe(!whole || output.sources.length < sorted.length);
          if (output.truncated && output.sources.length > 0 && !whole) expect(output.text).toMatch(/…\n\n\([^\n]*\)$/);
        },
      ),
      { numRuns: 500 },
    );
  });
});

for (const target of targets)
  describe.skipIf(!!target.skip)(`search, tags and context on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let caller: ReturnType<typeof createCaller>;
    const saved = { ...searchTuning };
    beforeAll(async () => {
      db = await openTestDb(target.name);
      caller = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "s" }));
      const lorem = "We walked along the river and talked about everything and nothing while the light faded. ";
      await caller.videoAnalysis.create({
        videoId: "v1",
        description: "Mia's birthday cake: chocolate with strawberries.",
        tags: ["family", "mia"],
      });
      await caller.videoAnalysis.create({
        videoId: "v2",
        description: "Cooking paella with Jonas on the balcony.",
        tags: ["cooking", "family"],
      });
      await caller.videoAnalysis.create({
        videoId: "v3",
        description: `A long evening walk. ${lorem.repeat(60)}`,
        tags: ["family"],
      });
      await caller.videoAnalysis.create({
        videoId: "v4",
        description: "Jonas's birthday dinner with a lemon cake.",
        tags: ["friends"],
      });
      for (let i = 0; i < 40; i++) {
        await caller.videoAnalysis.create({
          videoId: `w${i}`,
          description: `Walk number ${i} by the river. ${lorem.repeat(i % 7)}`,
          tags: i % 2 ? ["walk"] : [],
        });
      }
    }, 120_000);
    afterAll(async () => {
      await db?.dispose();
    });
    afterEach(() => {
      Object.assign(searchTuning, saved);
    });

    it("writes a context's stored day as createdAt's UTC day, to its last millisecond", async () => {
      // context.ts keeps the stored time as isoText's text instead of a Date: its day must be toISOString()'s.
      const stamps: [string, string][] = [
        ["stamp-late", "2026-03-14 23:59:59.999"],
        ["stamp-early", "1969-12-31 23:59:59"],
        ["stamp-old", "0099-01-02 00:00:00.5"],
      ];
      for (const [videoId, at] of stamps) {
        await caller.videoAnalysis.create({ videoId, description: `Quokkazanzibar sighting ${videoId}.`, tags: [] });
        await db.prisma.$executeRawUnsafe(
          `UPDATE "VideoAnalysis" SET "createdAt" = $1::timestamp WHERE "space" = 's' AND "videoId" = $2`,
          at,
          videoId,
        );
      }
      const { text } = await caller.videoAnalysis.context({ query: "quokkazanzibar", maxChars: 2000 });
      const days = text.split("\n").filter((line) => line.startsWith("## "));
      expect(days.sort()).toEqual([
        "## stored 0099-01-02 · stamp-old",
        "## stored 1969-12-31 · stamp-early",
        "## stored 2026-03-14 · stamp-late",
      ]);
      for (const [videoId] of stamps) await caller.videoAnalysis.delete({ videoId });
    });

    // Operators, quotes and SQL are separators: only a query's words count, so each answers what its words match
    // (a, b, c, or and x match nothing stored here; "1" is walk number 1; cake is v1's and v4's).
    const hostile: [string, string[]][] = [
      ["a & b | !c", []],
      ["!!!", []],
      ["'quoted' \"unclosed", []],
      ["\\", []],
      ["\\\\' OR 1=1 --", ["w1"]],
      ["cake:*", ["v1", "v4"]],
      ["birthday <-> cake", ["v1", "v4"]],
      ["(((", []],
      [")", []],
      ['\'; DROP TABLE "VideoAnalysis"; --', []],
      ["%_*", []],
      ["🎂🎉", []],
      ["יום הולדת שמח", []],
      ["عيد ميلاد سعيد", []],
      ["\u202Ecake\u202C", ["v1", "v4"]],
      ["a".repeat(1000), []],
      ["x ".repeat(499), []],
      ['""', []],
      ["-cake", ["v1", "v4"]],
      ["or or or", []],
    ];

    it.each(hostile.map(([q, expected]) => [q.slice(0, 40), q, expected] as const))(
      "answers %j with what its words match, in search and in context",
      async (_, query, expected) => {
        const { items } = await caller.videoAnalysis.search({ query });
        expect(items.map((i) => i.analysis.videoId).sort()).toEqual(expected);
        const context = await caller.videoAnalysis.context({ query, maxChars: 500 });
        expect(context.sources.map((s) => s.videoId).sort()).toEqual(expected);
        expect(context.text.length).toBeLessThanOrEqual(500);
      },
    );

    it("leaves the data alone when a query spells SQL", async () => {
      await caller.videoAnalysis.search({ query: '\'; DELETE FROM "VideoAnalysis"; --' });
      const { items } = await caller.videoAnalysis.byVideoIds({ videoIds: ["v1", "v2", "v3", "v4"] });
      expect(items.map((i) => i?.videoId)).toEqual(["v1", "v2", "v3", "v4"]);
    });

    it.each([
      ["a blank query", { query: "   " }, "query must not be blank"],
      ["NUL", { query: "cake\0" }, "query must not contain NUL characters"],
      ["10,000 characters", { query: "cake ".repeat(2000) }, "query must be at most 1000 characters"],
      ["a 1,000-word query", { query: "cake ".repeat(1000) }, "query must be at most 1000 characters"],
      ["a lone surrogate", { query: "cake \uD800" }, "lone surrogate"],
      ["neither query nor embedding", {}, "search needs a query, an embedding, or both"],
      ["limit 0", { query: "cake", limit: 0 }, "limit must be at least 1"],
      ["limit 101", { query: "cake", limit: 101 }, "limit must be at most 100"],
    ])("refuses %s with a 400 that says why", async (_, input, message) => {
      await expect(caller.videoAnalysis.search(input)).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining(message) as string,
      });
    });

    it("never fails with a server error, whatever the text (property)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 200, unit: "binary" }), async (query) => {
          try {
            await caller.videoAnalysis.search({ query });
          } catch (error) {
            expect((error as { code?: string }).code).toBe("BAD_REQUEST");
          }
        }),
        { numRuns: 60 },
      );
    });

    it("counts tags, most used first, ties alphabetically", async () => {
      const { items } = await caller.videoAnalysis.tags();
      expect(items.slice(0, 5)).toEqual([
        { tag: "walk", count: 20 },
        { tag: "family", count: 3 },
        { tag: "cooking", count: 1 },
        { tag: "friends", count: 1 },
        { tag: "mia", count: 1 },
      ]);
      expect((await caller.videoAnalysis.tags({ limit: 2 })).items).toHaveLength(2);
    });

    it("filters search by tags (all of them)", async () => {
      const ids = async (tags: string[]) =>
        (await caller.videoAnalysis.search({ query: "birthday cake", tags })).items.map((i) => i.analysis.videoId);
      expect(await ids(["family"])).toEqual(["v1"]);
      expect(await ids(["friends"])).toEqual(["v4"]);
      expect(await ids(["family", "friends"])).toEqual([]);
    });

    it("sees writes at once: new words, changed descriptions, deletions", async () => {
      await caller.videoAnalysis.create({ videoId: "new", description: "Flying a kite on the windy dunes." });
      expect((await caller.videoAnalysis.search({ query: "dunez" })).items.map((i) => i.analysis.videoId)).toEqual([
        "new",
      ]);
      await caller.videoAnalysis.update({ videoId: "new", description: "Building a sandcastle at low tide." });
      expect((await caller.videoAnalysis.search({ query: "kite" })).items).toEqual([]);
      expect((await caller.videoAnalysis.search({ query: "sandcastel" })).items.map((i) => i.analysis.videoId)).toEqual(
        ["new"],
      );
      await caller.videoAnalysis.delete({ videoId: "new" });
      expect((await caller.videoAnalysis.search({ query: "sandcastle" })).items).toEqual([]);
    });

    describe("embeddings", () => {
      const model = "m-256";
      const vector = (seed: number) =>
        Array.from({ length: 256 }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) + (i === seed ? 3 : 0));
      beforeAll(async () => {
        for (let i = 0; i < 30; i++) {
          await caller.videoAnalysis.update({ videoId: `w${i}`, embedding: { model, values: vector(i) } });
        }
        await caller.videoAnalysis.update({ videoId: "v1", embedding: { model: "small", values: [1, 0, 0] } });
      });

      it("answers a query vector of another dimension with a 400 naming both", async () => {
        await expect(
          caller.videoAnalysis.search({ embedding: { model: "small", values: [1, 0] } }),
        ).rejects.toMatchObject({
          code: "BAD_REQUEST",
          message: expect.stringContaining(
            'embedding has 2 dimensions, but the vectors of model "small" in this space have 3',
          ) as string,
        });
        await expect(
          caller.videoAnalysis.context({ embedding: { model: "small", values: [1, 0, 0, 0] }, maxChars: 300 }),
        ).rejects.toMatchObject({
          code: "BAD_REQUEST",
        });
      });

      it("finds nothing through a model the space does not have, and compares only the same model", async () => {
        expect(
          (await caller.videoAnalysis.search({ embedding: { model: "unknown", values: [1, 2, 3] } })).items,
        ).toEqual([]);
        const { items } = await caller.videoAnalysis.search({
          embedding: { model: "small", values: [0.9, 0.1, 0] },
          limit: 100,
        });
        expect(items.map((i) => i.analysis.videoId)).toEqual(["v1"]);
        // Words still find memories without a vector of that model: vector is null for them.
        const hybrid = await caller.videoAnalysis.search({
          query: "paella",
          embedding: { model: "small", values: [1, 0, 0] },
        });
        expect(hybrid.items[0]).toMatchObject({ analysis: { videoId: "v2" }, scores: { vector: null } });
      });

      it("returns a lone embedding's analyses, read with its candidates, as a lookup of them does", async () => {
        const { items } = await caller.videoAnalysis.search({ embedding: { model, values: vector(3) }, limit: 5 });
        expect(items).toHaveLength(5);
        expect(items[0]?.analysis.videoId).toBe("w3");
        const { items: looked } = await caller.videoAnalysis.byVideoIds({
          videoIds: items.map((i) => i.analysis.videoId),
        });
        expect(items.map((i) => i.analysis)).toEqual(looked);
        expect(items.every((i) => i.highlight === null && i.scores.text === null)).toBe(true);
      });

      it("answers through HNSW (iterative scan, with filters) as the exact scan does", async () => {
        const query = { model, values: vector(5).map((x, i) => x + (i % 3 === 0 ? 0.05 : 0)) };
        const exact = await caller.videoAnalysis.search({ embedding: query, limit: 10 });
        const exactTagged = await caller.videoAnalysis.search({ embedding: query, tags: ["walk"], limit: 10 });
        searchTuning.exactScanMax = 1;
        const approximate = await caller.videoAnalysis.search({ embedding: query, limit: 10 });
        const approximateTagged = await caller.videoAnalysis.search({ embedding: query, tags: ["walk"], limit: 10 });
        expect(exact.items[0]?.analysis.videoId).toBe("w5");
        expect(approximate.items.map((i) => i.analysis.videoId)).toEqual(exact.items.map((i) => i.analysis.videoId));
        expect(approximateTagged.items.map((i) => i.analysis.videoId)).toEqual(
          exactTagged.items.map((i) => i.analysis.videoId),
        );
        expect(approximateTagged.items.every((i) => i.analysis.tags.includes("walk"))).toBe(true);
        expect(approximate.items.map((i) => i.scores.vector)).toEqual(exact.items.map((i) => i.scores.vector));
      });

      it("counts a space's vectors again when those it remembered as many are gone: the same answers as counting", async () => {
        const other = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "counted" }));
        const query = { model, values: vector(1) };
        // A space's first vectors are found by the very next search (having none is never remembered).
        expect((await other.videoAnalysis.search({ embedding: query })).items).toEqual([]);
        for (let i = 0; i < 3; i++) {
          const embedding = { model, values: vector(i) };
          await other.videoAnalysis.create({ videoId: `c${i}`, description: `Counted walk ${i}.`, embedding });
        }
        searchTuning.exactScanMax = 1;
        // Counted as many: HNSW, remembered for the next searches.
        expect((await other.videoAnalysis.search({ embedding: query, limit: 1 })).items[0]?.analysis.videoId).toBe(
          "c1",
        );
        // The model's vectors now have another dimension: refused with the 400 that counting gives, not an empty answer.
        for (let i = 0; i < 3; i++)
          await other.videoAnalysis.update({ videoId: `c${i}`, embedding: { model, values: [1, 0, i] } });
        await expect(other.videoAnalysis.search({ embedding: query })).rejects.toMatchObject({
          code: "BAD_REQUEST",
          message: expect.stringContaining("have 3") as string,
        });
        // Remembered again, then every vector removed: text and embedding together rank as text alone.
        for (let i = 0; i < 3; i++)
          await other.videoAnalysis.update({ videoId: `c${i}`, embedding: { model, values: vector(i) } });
        expect((await other.videoAnalysis.search({ embedding: query })).items).toHaveLength(3);
        for (let i = 0; i < 3; i++) await other.videoAnalysis.update({ videoId: `c${i}`, embedding: null });
        const hybrid = await other.videoAnalysis.search({ query: "counted walk 1", embedding: query });
        const text = await other.videoAnalysis.search({ query: "counted walk 1" });
        expect(hybrid.items.map((i) => [i.analysis.videoId, i.score])).toEqual(
          text.items.map((i) => [i.analysis.videoId, i.score]),
        );
        expect(hybrid.items.every((i) => i.scores.vector === null)).toBe(true);
      });
    });

    describe("context", () => {
      it("puts the named memories first-to-last in the order given, skipping unknown ones", async () => {
        const { text, sources, truncated } = await caller.videoAnalysis.context({
          videoIds: ["v4", "nope", "v1", "v4"],
          maxChars: 1000,
        });
        expect(sources.map((s) => s.videoId)).toEqual(["v4", "v1"]);
        expect(sources.every((s) => s.score === null)).toBe(true);
        expect(truncated).toBe(false);
        expect(text).toMatch(
          /^## stored \d{4}-\d{2}-\d{2} · v4 · friends\nJonas's birthday dinner with a lemon cake\.\n\n## stored \d{4}-\d{2}-\d{2} · v1 · family, mia\nMia's birthday cake/,
        );
        expect(text.endsWith("\n\n(2 of 3 memories considered included; 1 left out as unknown.)")).toBe(true);
      });

      it("takes the best search results, best first, and cuts the one that does not fit at a word", async () => {
        const { text, sources, truncated } = await caller.videoAnalysis.context({
          query: "evening walk river",
          maxChars: 600,
        });
        expect(sources[0]?.videoId).toBe("v3");
        expect(truncated).toBe(true);
        expect(text.length).toBeLessThanOrEqual(600);
        expect(text).toMatch(/\S…\n\n\(1 of \d+ memories considered included; \d+ left out as weaker matches\.\)$/);
      });

      it("holds every budget with real search results (property)", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom("walk river", "birthday cake", "light faded", "paella", "walk number 3"),
            fc.integer({ min: 200, max: 100_000 }),
            async (query, maxChars) => {
              const output = await caller.videoAnalysis.context({ query, maxChars });
              expectWellFormed(output, maxChars);
            },
          ),
          { numRuns: 40 },
        );
      });

      it("uses a budget of 4,000 characters when maxChars is absent", async () => {
        const output = await caller.videoAnalysis.context({ query: "walk river" });
        expect(output.sources.length).toBeGreaterThan(0);
        expectWellFormed(output, 4000);
        const all = await caller.videoAnalysis.context({ videoIds: Array.from({ length: 100 }, (_, i) => `w${i}`) });
        expect(all.truncated).toBe(true);
        expect(all.text.length).toBeLessThanOrEqual(4000);
        expect(all.text.length).toBeGreaterThan(3500);
      });

      it("refuses a minScore outside 0..1 on search and context", async () => {
        for (const minScore of [-0.1, 1.5]) {
          await expect(caller.videoAnalysis.search({ query: "walk", minScore })).rejects.toMatchObject({
            code: "BAD_REQUEST",
            message: expect.stringContaining("minScore must be between 0 and 1") as string,
          });
          await expect(caller.videoAnalysis.context({ query: "walk", minScore })).rejects.toMatchObject({
            code: "BAD_REQUEST",
            message: expect.stringContaining("minScore must be between 0 and 1") as string,
          });
        }
      });

      it("refuses budgets outside 200..100,000 and more than 100 videoIds", async () => {
        await expect(caller.videoAnalysis.context({ query: "walk", maxChars: 199 })).rejects.toMatchObject({
          code: "BAD_REQUEST",
        });
        await expect(caller.videoAnalysis.context({ query: "walk", maxChars: 100_001 })).rejects.toMatchObject({
          code: "BAD_REQUEST",
        });
        const many = Array.from({ length: 101 }, (_, i) => `w${i}`);
        await expect(caller.videoAnalysis.context({ videoIds: many, maxChars: 1000 })).rejects.toMatchObject({
          code: "BAD_REQUEST",
          message: expect.stringContaining("at most 100 videoIds") as string,
        });
        await expect(caller.videoAnalysis.context({ maxChars: 1000 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
      });
    });

    it("charges what it returns against the request's budget", async () => {
      const small = createCaller(() =>
        createContext({
          prisma: db.prisma,
          principal: ANONYMOUS,
          space: "s",
          limits: { maxRows: 5, maxBytes: 1_000_000 },
        }),
      );
      await expect(small.videoAnalysis.search({ query: "walk", limit: 10 })).rejects.toMatchObject({
        code: "PAYLOAD_TOO_LARGE",
      });
      expect((await small.videoAnalysis.search({ query: "walk", limit: 5 })).items).toHaveLength(5);
    });
  });
