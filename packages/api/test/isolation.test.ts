/**
 * Isolation of spaces, tested rather than assumed: fast-check drives every videoAnalysis procedure, in any order
 * and with any videoIds (including B's own), as a caller of space A, and B's rows must never be seen, changed or
 * counted. A procedure added to the router without an entry here fails the coverage check below.
 */
import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { setTimeout as delay } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, ChangeFeed, createCaller, createContext, type Principal } from "../src/index.ts";

const targets = await testTargets();

const B_SECRET = "belongs to space B";
const B_TAG = "b-secret-tag";
/** Space B's embedding: its values must never appear in an answer to A (export answers vectors), nor its model's
 * dimension (a 400 naming it in A would tell A that B has such vectors). */
const B_EMBEDDING = { model: "b-model", values: [0.7171717, -0.3131313, 0] };
const B_VECTOR = B_EMBEDDING.values;
const ids = ["shared-1", "shared-2", "only-a", "b-0", "b-1"] as const;
const someIds = fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: ids.length });
const restoreFields = { version: 7, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-02T00:00:00.000Z" };

type Caller = ReturnType<typeof createCaller>;
/** One call of each space-bound procedure, with arguments drawn by fast-check. */
const operations = {
  create: fc
    .record({ videoId: fc.constantFrom(...ids), description: fc.constantFrom("a1", "a2") })
    .map((input) => (c: Caller) => c.videoAnalysis.create(input)),
  byVideoId: fc.constantFrom(...ids).map((videoId) => (c: Caller) => c.videoAnalysis.byVideoId({ videoId })),
  update: fc
    .record({ videoId: fc.constantFrom(...ids), description: fc.constantFrom("u1", "u2") })
    .map((input) => (c: Caller) => c.videoAnalysis.update(input)),
  delete: fc.constantFrom(...ids).map((videoId) => (c: Caller) => c.videoAnalysis.delete({ videoId })),
  list: fc.integer({ min: 1, max: 10 }).map((limit) => (c: Caller) => c.videoAnalysis.list({ limit })),
  upsert: fc
    .record({ videoId: fc.constantFrom(...ids), description: fc.constantFrom("p1", "p2") })
    .map(
      (input) => (c: Caller) =>
        c.videoAnalysis.upsert({ ...input, tags: ["a"], embedding: { model: "m", values: [1, 2] } }),
    ),
  // With restore fields too: an admin acting in A restores versions and timestamps, in A only.
  upsertMany: fc.tuple(someIds, fc.constantFrom("m1", "m2"), fc.boolean()).map(
    ([videoIds, description, restore]) =>
      (c: Caller) =>
        c.videoAnalysis.upsertMany({
          items: videoIds.map((videoId) => ({ videoId, description, ...(restore ? restoreFields : {}) })),
        }),
  ),
  byVideoIds: someIds.map((videoIds) => (c: Caller) => c.videoAnalysis.byVideoIds({ videoIds })),
  deleteMany: someIds.map((videoIds) => (c: Caller) => c.videoAnalysis.deleteMany({ videoIds })),
  history: fc.constantFrom(...ids).map((videoId) => (c: Caller) => c.videoAnalysis.history({ videoId })),
  export: fc.integer({ min: 1, max: 10 }).map((limit) => (c: Caller) => c.videoAnalysis.export({ limit })),
  tags: fc.constant((c: Caller) => c.videoAnalysis.tags()),
  // Words of B's descriptions as typed, misspelt and partial (B's vocabulary must not correct A's typos), and B's
  // model with another dimension (A must not learn that B's vectors have 3).
  search: fc
    .record({
      query: fc.option(fc.constantFrom("belongs", "belongz space", "spac", "b-0", "a1 u2", "secret"), {
        nil: undefined,
      }),
      embedding: fc.option(fc.constantFrom(B_EMBEDDING, { ...B_EMBEDDING, values: [1, 0] }), { nil: undefined }),
      tags: fc.option(fc.constant<string[]>([B_TAG]), { nil: undefined }),
    })
    .map(
      (input) => (c: Caller) =>
        c.videoAnalysis.search({ ...input, query: input.query ?? (input.embedding ? undefined : "belongs") }),
    ),
  context: fc
    .record({
      query: fc.constantFrom("belongs", "space b", "a1"),
      videoIds: fc.option(fc.subarray([...ids], { minLength: 1 }), { nil: undefined }),
    })
    .map((input) => (c: Caller) => c.videoAnalysis.context({ ...input, maxChars: 2000 })),
  // From the start of the log, from ids of B's changes, or from now: A's own changes only. The stream runs on
  // until the run ends (its signal); what it delivered within 30 ms is the answer.
  onChange: fc.constantFrom(undefined, "0", "1", "3", "5").map((lastEventId) => async (c: Caller) => {
    const items: unknown[] = [];
    const stream = await c.videoAnalysis.onChange({ lastEventId });
    void (async () => {
      for await (const item of stream) items.push(item);
    })().catch(() => {});
    await delay(30);
    return items;
  }),
  recentChanges: fc
    .record({ afterId: fc.option(fc.constantFrom("0", "1", "3"), { nil: undefined }), limit: fc.constantFrom(1, 50) })
    .map((input) => (c: Caller) => c.videoAnalysis.recentChanges(input)),
  // A token for A's key in space A (the test's keys are not stored: refused, saying nothing of B).
  streamToken: fc.constant((c: Caller) => c.videoAnalysis.streamToken({})),
} satisfies Record<keyof typeof appRouter.videoAnalysis, fc.Arbitrary<(c: Caller) => Promise<unknown>>>;

for (const target of targets)
  describe.skipIf(!!target.skip)(`spaces on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let changes: ChangeFeed;
    const callerIn = (
      space: string,
      principal: Principal = { keyId: "k", name: `key-${space}`, space, scopes: ["read", "write"] },
      signal?: AbortSignal,
    ) => createCaller(() => createContext({ prisma: db.prisma, principal, space, changes }), { signal });

    beforeAll(async () => {
      db = await openTestDb(target.name);
      changes = new ChangeFeed({ prisma: db.prisma, listen: db.listen });
      const b = callerIn("b");
      for (const videoId of ["shared-1", "shared-2", "b-0", "b-1"]) {
        await b.videoAnalysis.create({
          videoId,
          description: `${videoId} ${B_SECRET}`,
          tags: [B_TAG],
          embedding: B_EMBEDDING,
        });
      }
      // B's rows have history too, which A must never read.
      await b.videoAnalysis.update({ videoId: "shared-1", description: `shared-1 again ${B_SECRET}` });
    });
    afterAll(async () => {
      await changes?.close();
      await db?.dispose();
    });

    const snapshotOfB = async () => ({
      rows: await db.prisma.videoAnalysis.findMany({ where: { space: "b" }, orderBy: { videoId: "asc" } }),
      history: await db.prisma.videoAnalysisVersion.findMany({
        where: { analysis: { space: "b" } },
        orderBy: { version: "asc" },
      }),
    });

    it("covers every videoAnalysis procedure", () => {
      expect(Object.keys(operations).sort()).toEqual(Object.keys(appRouter.videoAnalysis).sort());
    });

    it("a caller of space A never sees, changes or counts space B's rows, whatever it calls", async () => {
      const before = await snapshotOfB();
      expect(before.rows).toHaveLength(4);
      expect(before.history).toHaveLength(1);
      // A key bound to space A, or an admin key (any space, all scopes) acting in A.
      const admin: Principal = { keyId: "adm", name: "admin", space: "*", scopes: ["read", "write", "admin"] };
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(...Object.values(operations)), { minLength: 1, maxLength: 12 }),
          fc.boolean(),
          async (calls, asAdmin) => {
            const run = new AbortController();
            const a = asAdmin ? callerIn("a", admin, run.signal) : callerIn("a", undefined, run.signal);
            try {
              for (const call of calls) {
                const answer = JSON.stringify(await call(a).catch((error: unknown) => ({ error: String(error) })));
                expect(answer).not.toContain(B_SECRET);
                expect(answer).not.toContain(String(B_VECTOR[0]));
                expect(answer).not.toContain(B_TAG);
                expect(answer).not.toContain("in this space have");
              }
              const page = await a.videoAnalysis.list({ limit: 1000 });
              const stored = await db.prisma.videoAnalysis.count({ where: { space: "a" } });
              expect(page.items).toHaveLength(stored);
              expect(await snapshotOfB()).toEqual(before);
            } finally {
              run.abort();
              await db.prisma.videoAnalysis.deleteMany({ where: { space: "a" } });
            }
          },
        ),
        { numRuns: 25 },
      );
    });

    it("search, tags and context of space A see only A, even with B's words, tags, videoIds and model", async () => {
      const a = callerIn("a3");
      await a.videoAnalysis.create({
        videoId: "b-0",
        description: "b-0 belongs to space A",
        tags: ["mine"],
        embedding: { model: "b-model", values: [1, 0] },
      });
      const found = await a.videoAnalysis.search({
        query: "belongs space",
        embedding: { model: "b-model", values: [1, 0] },
      });
      expect(found.items.map((i) => i.analysis.description)).toEqual(["b-0 belongs to space A"]);
      expect((await a.videoAnalysis.search({ query: "belongz" })).items.map((i) => i.analysis.description)).toEqual([
        "b-0 belongs to space A",
      ]);
      expect((await a.videoAnalysis.search({ query: "belongs", tags: [B_TAG] })).items).toEqual([]);
      // B's 3-dimensional vectors of the same model are not A's business: A's own are 2-dimensional.
      await expect(a.videoAnalysis.search({ embedding: B_EMBEDDING })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining(
          'embedding has 3 dimensions, but the vectors of model "b-model" in this space have 2',
        ) as string,
      });
      expect((await a.videoAnalysis.tags()).items).toEqual([{ tag: "mine", count: 1 }]);
      const context = await a.videoAnalysis.context({ videoIds: ["b-1", "b-0", "shared-1"], maxChars: 1000 });
      expect(context.sources.map((s) => s.videoId)).toEqual(["b-0"]);
      expect(context.text).not.toContain(B_SECRET);
      expect((await a.videoAnalysis.context({ query: "belongs to space", maxChars: 1000 })).text).not.toContain(
        B_SECRET,
      );
      await a.videoAnalysis.delete({ videoId: "b-0" });
    });

    it("the same videoId lives independently in two spaces", async () => {
      const a = callerIn("a2");
      const created = await a.videoAnalysis.create({ videoId: "b-0", description: "A's own b-0" });
      expect(created.description).toBe("A's own b-0");
      expect((await callerIn("b").videoAnalysis.byVideoId({ videoId: "b-0" })).description).toContain(B_SECRET);
      await a.videoAnalysis.delete({ videoId: "b-0" });
      expect((await callerIn("b").videoAnalysis.byVideoId({ videoId: "b-0" })).description).toContain(B_SECRET);
    });

    it("a key without the write scope can read but not change anything", async () => {
      const reader = callerIn("b", { keyId: "r", name: "reader", space: "b", scopes: ["read"] });
      expect((await reader.videoAnalysis.byVideoId({ videoId: "b-1" })).videoId).toBe("b-1");
      await expect(reader.videoAnalysis.delete({ videoId: "b-1" })).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: 'This key (reader) lacks the "write" scope this operation needs',
      });
      await expect(reader.keys.list()).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: expect.stringContaining('"admin"') as string,
      });
      expect((await snapshotOfB()).rows).toHaveLength(4);
    });

    it("bulk calls from space A never reach space B's videoIds, even naming them all", async () => {
      const a = callerIn("a3");
      const before = await snapshotOfB();
      const videoIds = ["shared-1", "shared-2", "b-0", "b-1"];
      expect((await a.videoAnalysis.byVideoIds({ videoIds })).items).toEqual([null, null, null, null]);
      expect(await a.videoAnalysis.deleteMany({ videoIds })).toEqual({ deleted: 0 });
      await expect(a.videoAnalysis.history({ videoId: "shared-1" })).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(
        await a.videoAnalysis.upsertMany({ items: videoIds.map((videoId) => ({ videoId, description: "A's" })) }),
      ).toEqual({
        created: 4,
        updated: 0,
        unchanged: 0,
      });
      expect((await a.videoAnalysis.export({})).items.map((i) => i.description)).toEqual(["A's", "A's", "A's", "A's"]);
      expect(await snapshotOfB()).toEqual(before);
    });
  });
