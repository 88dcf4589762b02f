import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createCaller, createContext, EMBEDDING_MAX_DIMENSIONS, TAGS_MAX } from "../src/index.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`tags, embeddings and versions on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let caller: ReturnType<typeof createCaller>;
    beforeAll(async () => {
      db = await openTestDb(target.name);
      caller = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "default" }));
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it("stores tags as a set: trimmed, lower-cased, deduplicated, sorted", async () => {
      const created = await caller.videoAnalysis.create({
        videoId: "t1",
        description: "d",
        tags: [" Cooking ", "family", "COOKING", "mia:birthday"],
      });
      expect(created.tags).toEqual(["cooking", "family", "mia:birthday"]);
      expect((await caller.videoAnalysis.byVideoId({ videoId: "t1" })).tags).toEqual([
        "cooking",
        "family",
        "mia:birthday",
      ]);
    });

    it("filters list by tags, all of them", async () => {
      await caller.videoAnalysis.create({ videoId: "t2", description: "d", tags: ["cooking"] });
      await caller.videoAnalysis.create({ videoId: "t3", description: "d", tags: ["travel", "family"] });
      const ids = async (tags: string[]) =>
        (await caller.videoAnalysis.list({ tags })).items.map((i) => i.videoId).sort();
      expect(await ids(["cooking"])).toEqual(["t1", "t2"]);
      expect(await ids(["COOKING", "family"])).toEqual(["t1"]);
      expect(await ids(["family"])).toEqual(["t1", "t3"]);
      expect(await ids(["nothing"])).toEqual([]);
    });

    it.each([
      ["a tag with a space", ["two words"]],
      ["an empty tag", ["  "]],
      ["a 65-character tag", ["x".repeat(65)]],
      [`${TAGS_MAX + 1} tags`, Array.from({ length: TAGS_MAX + 1 }, (_, i) => `t${i}`)],
    ])("rejects %s", async (_, tags) => {
      await expect(caller.videoAnalysis.create({ videoId: "bad-tags", description: "d", tags })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    });

    it("stores an embedding as pgvector and answers only its model and dimensions", async () => {
      const created = await caller.videoAnalysis.create({
        videoId: "e1",
        description: "d",
        embedding: { model: "marengo-2.7", values: [0.25, -1, 3e-7] },
      });
      expect(created.embedding).toEqual({ model: "marengo-2.7", dimensions: 3 });
      expect(JSON.stringify(created)).not.toContain("0.25");
      const [stored] = await db.prisma.$queryRaw<{ dims: number; text: string }[]>`
      SELECT vector_dims("embedding") AS dims, "embedding"::text AS text FROM "VideoAnalysis" WHERE "videoId" = 'e1'`;
      expect(stored?.dims).toBe(3);
      expect(stored?.text).toBe("[0.25,-1,3e-07]");

      const replaced = await caller.videoAnalysis.update({
        videoId: "e1",
        embedding: { model: "other", values: [1, 2] },
      });
      expect(replaced).toMatchObject({ embedding: { model: "other", dimensions: 2 }, description: "d", version: 2 });
      const removed = await caller.videoAnalysis.update({ videoId: "e1", embedding: null });
      expect(removed).toMatchObject({ embedding: null, version: 3 });
    });

    it.each([
      ["no values", { model: "m", values: [] }],
      ["too many values", { model: "m", values: Array(EMBEDDING_MAX_DIMENSIONS + 1).fill(0) }],
      ["a non-finite value", { model: "m", values: [1, Number.POSITIVE_INFINITY] }],
      ["a blank model", { model: " ", values: [1] }],
      ["an unknown key", { model: "m", values: [1], extra: true }],
    ])("rejects an embedding with %s", async (_, embedding) => {
      await expect(
        caller.videoAnalysis.create({ videoId: "bad-e", description: "d", embedding }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    });

    it("update changes only what it names, counts versions, and needs at least one field", async () => {
      await caller.videoAnalysis.create({ videoId: "v1", description: "first", tags: ["a"] });
      const tagged = await caller.videoAnalysis.update({ videoId: "v1", tags: ["b"] });
      expect(tagged).toMatchObject({ description: "first", tags: ["b"], version: 2 });
      const described = await caller.videoAnalysis.update({ videoId: "v1", description: "second" });
      expect(described).toMatchObject({ description: "second", tags: ["b"], version: 3 });
      await expect(caller.videoAnalysis.update({ videoId: "v1" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    });
  });
