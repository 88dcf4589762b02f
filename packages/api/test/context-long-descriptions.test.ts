/**
 * A context reads each memory's description cut to maxChars + 1 characters (context.ts, contextHits), so that up to
 * a bounded maxChars its rows can come with the search's candidates. The cut must never show in a context: for any
 * description, assembling from its first maxChars + 1 code points writes what the whole writes; and on both
 * databases, contexts of a memory longer than maxChars (by search, on either side of the bound, and by videoId) are
 * the text assembleContext writes from the whole stored description.
 */
import { testTargets } from "@memory-mirror/db/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { assembleContext, type ContextPlan } from "../src/video-analysis/context-text.ts";
import { contextItem } from "./support/context-items.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();

/** What PostgreSQL's left(description, n) answers: the first n characters (code points, not UTF-16 units). */
const leftChars = (text: string, n: number) => Array.from(text).slice(0, n).join("");

describe("a context's descriptions cut to maxChars + 1 characters", () => {
  it("write the same context as the whole descriptions, whatever they hold (property)", () => {
    // Line starts with # (escaped by memoryText), astral characters (two UTF-16 units), spaces and punctuation at cuts.
    const piece = fc.constantFrom("word", " ", "\n", "# ", "😀", "é", ".", "long-compound-word", "\n## ");
    const description = fc.array(piece, { maxLength: 200 }).map((parts) => parts.join(""));
    const item = fc.record({
      videoId: fc.constantFrom<string>("vid_1", "vid_2", "a-much-longer-video-id"),
      recordedAt: fc.constantFrom<string | null>(null, "2019-07-14T10:00:00+02:00"),
      createdAt: fc.constant(new Date("2026-12-01T00:00:00Z")),
      tags: fc.constantFrom<string[]>([], ["pets", "home"]),
      description,
      score: fc.constantFrom<number | null>(null, 0.5, 1),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), fc.integer({ min: 100, max: 900 }), (items, maxChars) => {
        const plan: ContextPlan = {
          items: items.map(contextItem),
          considered: items.length + 1,
          leftOutAs: "as weaker matches",
        };
        const cut = items.map((i) => contextItem({ ...i, description: leftChars(i.description, maxChars + 1) }));
        expect(assembleContext({ ...plan, items: cut }, maxChars)).toEqual(assembleContext(plan, maxChars));
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});

for (const target of targets)
  describe.skipIf(!!target.skip)(`contexts of long memories on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "long-contexts");
    // 12,000+ characters: longer than either maxChars below, with emoji and heading-like lines throughout.
    const long = Array.from({ length: 400 }, (_, i) =>
      i % 25 === 0 ? "\n# a river heading 😀" : ` river stone ${i} bank😀`,
    ).join("");

    beforeAll(async () => {
      await suite.caller.videoAnalysis.create({ videoId: "river", description: long, tags: ["water"] });
      await suite.caller.videoAnalysis.create({ videoId: "desk", description: "Papers on a desk.", tags: [] });
    });

    it("write the whole stored description's cut, by search on either side of the bound and by videoId", async () => {
      const stored = await suite.caller.videoAnalysis.byVideoId({ videoId: "river" });
      for (const maxChars of [1000, 8000, 9000]) {
        for (const input of [{ query: "river" }, { videoIds: ["river"] }]) {
          const context = await suite.caller.videoAnalysis.context({ ...input, maxChars });
          expect(context.truncated).toBe(true);
          const item = contextItem({
            videoId: "river",
            recordedAt: null,
            createdAt: new Date(stored.createdAt),
            tags: ["water"],
            description: stored.description,
            score: context.sources[0]?.score ?? null,
          });
          const leftOutAs = "query" in input ? "as weaker matches" : "as unknown";
          const expected = assembleContext({ items: [item], considered: context.considered, leftOutAs }, maxChars);
          expect({ maxChars, ...input, text: context.text }).toEqual({ maxChars, ...input, text: expected.text });
          expect(context.sources).toEqual(expected.sources);
        }
      }
    });
  });
