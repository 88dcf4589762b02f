/**
 * The recording-time and metadata filters on search and context, alone and with words, tags and an embedding, on
 * both databases. Sixty memories that match better but were recorded later stand between each query and its answer,
 * so a filter applied after a signal's LIMIT (rather than inside its scan) would lose the answer.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/test-database.ts";
import { trpcError } from "./support/trpc-error.ts";

const targets = await testTargets();
const MODEL = "test-3d";

/** The answers: long descriptions (full text ranks them below the short ones) and vectors far from the query's. */
const ANSWERS = [
  {
    videoId: "beach-2019",
    recordedAt: "2019-07-14T10:00:00+02:00",
    metadata: { place: "Cascais", people: ["Leo"] },
    tags: ["family", "beach"],
    embedding: { model: MODEL, values: [0.6, 0.8, 0] },
    description:
      "A long summer day at the beach in Cascais: Leo built sandcastles with his grandfather, ate grilled sardines " +
      "and fell asleep under the striped umbrella before the tide came in.",
  },
  {
    videoId: "beach-2021",
    recordedAt: "2021-08-01T15:00:00+01:00",
    metadata: { place: "Porto", people: ["Mia"] },
    tags: ["friends", "beach"],
    embedding: { model: MODEL, values: [0.6, 0, 0.8] },
    description:
      "An August afternoon at the beach near Porto: Mia and her friends built sandcastles, chased seagulls and " +
      "argued about whose turn it was to bury whom in the sand.",
  },
  {
    videoId: "beach-undated",
    tags: ["family", "beach"],
    embedding: { model: MODEL, values: [0, 0.6, 0.8] },
    description:
      "Sandcastles on a windy beach with cousins whose names nobody wrote down, a kite that never flew and " +
      "cold sandwiches eaten in the car.",
  },
];

/** Later recordings that match the words (short, so they rank first) and the query vector (closer) better. */
const FLOOD = Array.from({ length: 60 }, (_, i) => ({
  videoId: `flood-${String(i).padStart(2, "0")}`,
  recordedAt: `2024-06-${String((i % 28) + 1).padStart(2, "0")}T12:00:00Z`,
  metadata: { place: "Nice" },
  tags: ["family", "beach"],
  embedding: { model: MODEL, values: [1, 0.001 * i, 0] },
  description: "Beach sandcastles.",
}));

const QUERY_VECTOR = { model: MODEL, values: [1, 0, 0] };
const ids = (output: { items: { analysis: { videoId: string } }[] }) => output.items.map((i) => i.analysis.videoId);

for (const target of targets)
  describe.skipIf(!!target.skip)(`search and context filters on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "search-filters");

    beforeAll(async () => {
      await suite.caller.videoAnalysis.upsertMany({ items: [...ANSWERS, ...FLOOD] });
    });

    it("without a filter the answers are out of sight (what the filters must overcome)", async () => {
      const words = await suite.caller.videoAnalysis.search({ query: "beach sandcastles", limit: 10 });
      expect(ids(words).filter((id) => id.startsWith("beach-"))).toEqual([]);
      const vector = await suite.caller.videoAnalysis.search({ embedding: QUERY_VECTOR, limit: 10 });
      expect(ids(vector).filter((id) => id.startsWith("beach-"))).toEqual([]);
    });

    it.each([
      ["recordedBefore alone (exclusive)", { recordedBefore: "2021-08-01T14:00:00Z" }, ["beach-2019"]],
      [
        "recordedAfter alone (inclusive)",
        { recordedAfter: "2021-08-01T14:00:00Z" },
        ["beach-2021", ...FLOOD.map((f) => f.videoId)],
      ],
      [
        "a range",
        { recordedAfter: "2019-01-01T00:00:00Z", recordedBefore: "2022-01-01T00:00:00Z" },
        ["beach-2019", "beach-2021"],
      ],
      ["metadata containment", { metadata: { people: ["Mia"] } }, ["beach-2021"]],
      [
        "metadata and a range",
        { metadata: { place: "Cascais" }, recordedAfter: "2019-07-14T08:00:00Z" },
        ["beach-2019"],
      ],
      ["tags and a range", { tags: ["friends"], recordedBefore: "2022-01-01T00:00:00Z" }, ["beach-2021"]],
      ["nothing matching", { metadata: { place: "Tokyo" } }, []],
    ])("%s: words, an embedding, and both find the same memories", async (_, filters, expected) => {
      const sorted = (list: string[]) => [...list].sort();
      const limit = 100;
      const words = await suite.caller.videoAnalysis.search({ query: "beach sandcastles", ...filters, limit });
      expect(sorted(ids(words))).toEqual(sorted(expected));
      const vector = await suite.caller.videoAnalysis.search({
        embedding: QUERY_VECTOR,
        ...filters,
        limit,
        minScore: 0,
      });
      expect(sorted(ids(vector))).toEqual(sorted(expected));
      const both = await suite.caller.videoAnalysis.search({
        query: "beach sandcastles",
        embedding: QUERY_VECTOR,
        ...filters,
        limit,
        minScore: 0,
      });
      expect(sorted(ids(both))).toEqual(sorted(expected));
    });

    it("the filter applies before each signal's limit: the one 2019 memory is found at limit 1", async () => {
      const filters = { recordedBefore: "2020-01-01T00:00:00Z" };
      expect(
        ids(await suite.caller.videoAnalysis.search({ query: "beach sandcastles", ...filters, limit: 1 })),
      ).toEqual(["beach-2019"]);
      expect(
        ids(await suite.caller.videoAnalysis.search({ embedding: QUERY_VECTOR, ...filters, limit: 1, minScore: 0 })),
      ).toEqual(["beach-2019"]);
    });

    it("search results carry recordedAt in the offset it was recorded in, and metadata", async () => {
      const { items } = await suite.caller.videoAnalysis.search({
        query: "beach sandcastles",
        metadata: { place: "Cascais" },
      });
      expect(items[0]?.analysis).toMatchObject({
        videoId: "beach-2019",
        recordedAt: "2019-07-14T10:00:00+02:00",
        metadata: { place: "Cascais", people: ["Leo"] },
      });
    });

    it("context: the filtered search's memories, and named videoIds outside the filters left out", async () => {
      const found = await suite.caller.videoAnalysis.context({
        query: "beach sandcastles",
        recordedAfter: "2019-01-01T00:00:00Z",
        recordedBefore: "2020-01-01T00:00:00Z",
      });
      expect(found.sources.map((s) => s.videoId)).toEqual(["beach-2019"]);
      expect(found.considered).toBe(1);

      const named = await suite.caller.videoAnalysis.context({
        videoIds: ["beach-2021", "beach-2019", "beach-undated", "nobody"],
        metadata: { place: "Porto" },
      });
      expect(named.sources.map((s) => s.videoId)).toEqual(["beach-2021"]);
      expect(named.text).toContain(
        "(1 of 4 memories considered included; 3 left out as unknown or outside the filters.)",
      );
    });

    describe("when: a time phrase read against now", () => {
      const now = "2021-12-01T12:00:00Z";

      it("narrows words, an embedding and both to the period, past sixty better matches, and says how it read it", async () => {
        const words = await suite.caller.videoAnalysis.search({ query: "beach sandcastles", when: "summer 2019", now });
        expect(ids(words)).toEqual(["beach-2019"]);
        expect(words.when).toEqual({ phrase: "summer 2019", from: "2019-06-01T00:00:00Z", to: "2019-09-01T00:00:00Z" });
        const vector = await suite.caller.videoAnalysis.search({
          embedding: QUERY_VECTOR,
          when: "in 2021",
          now,
          limit: 1,
          minScore: 0,
        });
        expect(ids(vector)).toEqual(["beach-2021"]);
        const both = await suite.caller.videoAnalysis.search({
          query: "beach sandcastles",
          embedding: QUERY_VECTOR,
          tags: ["friends"],
          when: "last summer",
          now,
          minScore: 0,
        });
        expect(ids(both)).toEqual(["beach-2021"]);
      });

      it("without when the answer carries no when", async () => {
        const output = await suite.caller.videoAnalysis.search({ query: "beach sandcastles" });
        expect(output).not.toHaveProperty("when");
      });

      it("context: the period's memories, with the range it was read as", async () => {
        const context = await suite.caller.videoAnalysis.context({
          query: "beach sandcastles",
          when: "last summer",
          now,
        });
        expect(context.sources.map((s) => s.videoId)).toEqual(["beach-2021"]);
        expect(context.text).toMatch(/^## 2021-08-01 · beach-2021 · beach, friends\n/);
        expect(context.when).toEqual({
          phrase: "last summer",
          from: "2021-06-01T00:00:00Z",
          to: "2021-09-01T00:00:00Z",
        });
        const named = await suite.caller.videoAnalysis.context({
          videoIds: ["beach-2019", "beach-2021"],
          when: "in 2019",
          now,
        });
        expect(named.sources.map((s) => s.videoId)).toEqual(["beach-2019"]);
      });

      it("intersects with recordedAfter: summer 2019 from mid-July leaves out the 14th", async () => {
        const output = await suite.caller.videoAnalysis.search({
          query: "beach sandcastles",
          when: "summer 2019",
          recordedAfter: "2019-07-15T00:00:00Z",
          now,
        });
        expect(ids(output)).toEqual([]);
      });

      it.each([
        [{ query: "beach", when: "on my birthday" }, '"on my birthday" is not a time I can read'],
        [{ query: "beach", when: "in 2019", recordedAfter: "2020-01-01T00:00:00Z" }, "does not overlap"],
        [{ query: "beach", now: "2021-12-01T12:00:00Z" }, "now is read only with when"],
        [{ query: "beach", when: "   " }, "when must not be blank"],
        [{ query: "beach", when: "x".repeat(101) }, "when must be at most 100 characters"],
      ])("a when it cannot use is a BAD_REQUEST saying why: %j", async (input, reason) => {
        for (const call of [suite.caller.videoAnalysis.search(input), suite.caller.videoAnalysis.context(input)]) {
          const error = await trpcError(call);
          expect(error.code).toBe("BAD_REQUEST");
          expect(error.message).toContain(reason);
        }
      });
    });

    it("an empty range is a BAD_REQUEST on search and on context", async () => {
      const range = { recordedAfter: "2022-01-01T00:00:00Z", recordedBefore: "2021-01-01T00:00:00Z" };
      for (const call of [
        suite.caller.videoAnalysis.search({ query: "beach", ...range }),
        suite.caller.videoAnalysis.context({ query: "beach", ...range }),
        suite.caller.videoAnalysis.context({ videoIds: ["beach-2019"], ...range }),
      ]) {
        const error = await trpcError(call);
        expect(error.code).toBe("BAD_REQUEST");
        expect(error.message).toContain("recordedBefore must be later than recordedAfter");
      }
    });

    it("an empty range is a BAD_REQUEST even with a query of punctuation alone (answered without any statement)", async () => {
      const range = { recordedAfter: "2021-01-01T00:00:00Z", recordedBefore: "2021-01-01T00:00:00Z" };
      for (const call of [
        suite.caller.videoAnalysis.search({ query: "?!", ...range }),
        suite.caller.videoAnalysis.context({ query: "…", ...range }),
      ]) {
        const error = await trpcError(call);
        expect(error.code).toBe("BAD_REQUEST");
        expect(error.message).toContain("recordedBefore must be later than recordedAfter");
      }
    });
  });
