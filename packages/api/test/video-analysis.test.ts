import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { type TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createCaller, createContext, DESCRIPTION_MAX_LENGTH } from "../src/index.ts";
import { trpcError } from "./support/trpc-error.ts";

const targets = await testTargets();

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const target of targets)
  describe.skipIf(!!target.skip)(`videoAnalysis router on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let caller: ReturnType<typeof createCaller>;

    beforeAll(async () => {
      db = await openTestDb(target.name);
      // A fresh context per call, as each HTTP request gets one.
      caller = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "default" }));
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it("creates, reads, updates and deletes an analysis", async () => {
      const created = await caller.videoAnalysis.create({ videoId: "crud-1", description: "A cat on a table." });
      expect(created).toEqual({
        id: expect.any(String) as string,
        videoId: "crud-1",
        description: "A cat on a table.",
        tags: [],
        embedding: null,
        recordedAt: null,
        metadata: null,
        version: 1,
        createdAt: expect.stringMatching(ISO) as string,
        updatedAt: expect.stringMatching(ISO) as string,
      });
      expect(await caller.videoAnalysis.byVideoId({ videoId: "crud-1" })).toEqual(created);

      const updated = await caller.videoAnalysis.update({ videoId: "crud-1", description: "A cat jumps off." });
      expect(updated.description).toBe("A cat jumps off.");
      expect(updated.id).toBe(created.id);
      expect(updated.createdAt).toBe(created.createdAt);
      expect(await caller.videoAnalysis.byVideoId({ videoId: "crud-1" })).toEqual(updated);

      expect(await caller.videoAnalysis.delete({ videoId: "crud-1" })).toEqual(updated);
      expect((await trpcError(caller.videoAnalysis.byVideoId({ videoId: "crud-1" }))).code).toBe("NOT_FOUND");
    });

    it("update moves updatedAt strictly forward, even within one millisecond", async () => {
      const created = await caller.videoAnalysis.create({ videoId: "upd-ts", description: "v1" });
      let previous = created.updatedAt;
      for (const n of [2, 3, 4]) {
        const next = await caller.videoAnalysis.update({ videoId: "upd-ts", description: `v${n}` });
        expect(Date.parse(next.updatedAt)).toBeGreaterThan(Date.parse(previous));
        previous = next.updatedAt;
      }
    });

    it("create of an existing videoId is a CONFLICT and keeps the stored analysis", async () => {
      const first = await caller.videoAnalysis.create({ videoId: "dup", description: "original" });
      const error = await trpcError(caller.videoAnalysis.create({ videoId: "dup", description: "other" }));
      expect(error.code).toBe("CONFLICT");
      expect(error.message).toContain('"dup"');
      expect(await caller.videoAnalysis.byVideoId({ videoId: "dup" })).toEqual(first);
    });

    it("20 concurrent creates of one videoId: one succeeds, 19 CONFLICT, one row", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => caller.videoAnalysis.create({ videoId: "race", description: `d${i}` })),
      );
      const ok = results.filter((r) => r.status === "fulfilled");
      const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as TRPCError).code] : []));
      expect(ok).toHaveLength(1);
      expect(codes).toEqual(Array(19).fill("CONFLICT"));
      expect(await db.prisma.videoAnalysis.count({ where: { videoId: "race" } })).toBe(1);
    });

    it("update and delete of a missing videoId are NOT_FOUND naming it", async () => {
      for (const call of [
        () => caller.videoAnalysis.update({ videoId: "missing", description: "x" }),
        () => caller.videoAnalysis.delete({ videoId: "missing" }),
        () => caller.videoAnalysis.byVideoId({ videoId: "missing" }),
      ]) {
        const error = await trpcError(call());
        expect(error.code).toBe("NOT_FOUND");
        expect(error.message).toBe('No video analysis for videoId "missing"');
      }
    });

    it.each([
      ["an empty videoId", { videoId: "", description: "x" }, "videoId"],
      ["a blank description", { videoId: "v", description: "   " }, "description"],
      ["a NUL in the description", { videoId: "v", description: "a\0b" }, "description"],
      ["a too long description", { videoId: "v", description: "x".repeat(DESCRIPTION_MAX_LENGTH + 1) }, "description"],
      ["a missing description", { videoId: "v" }, "description"],
      ["an unknown key", { videoId: "v", description: "x", extra: 1 }, "extra"],
    ])("rejects %s as BAD_REQUEST naming the field", async (_, input, field) => {
      const error = await trpcError(caller.videoAnalysis.create(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(JSON.stringify(error.cause)).toContain(field);
      expect(await db.prisma.videoAnalysis.count({ where: { videoId: "v" } })).toBe(0);
    });

    it("keeps videoIds with any characters intact", async () => {
      const videoId = 'ü/ß?#%20 "quotes" 🎬';
      await caller.videoAnalysis.create({ videoId, description: "unicode" });
      expect((await caller.videoAnalysis.byVideoId({ videoId })).videoId).toBe(videoId);
    });

    describe("list", () => {
      /**
       * 25 analyses in a space of the test's own (so it passes alone and in any order), and a caller there. Same
       * createdAt for several rows on purpose: the id must break ties so no row is skipped or repeated.
       */
      async function listOf25(space: string) {
        const createdAt = new Date("2026-01-01T00:00:00.000Z");
        await db.prisma.videoAnalysis.createMany({
          data: Array.from({ length: 25 }, (_, i) => ({
            space,
            videoId: `list-${String(i).padStart(2, "0")}`,
            description: `d${i}`,
            createdAt: i < 10 ? createdAt : new Date(createdAt.getTime() + i * 1000),
          })),
        });
        return createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space }));
      }

      it("pages newest first with a stable cursor, visiting every row once", async () => {
        const caller = await listOf25("list-pages");
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await caller.videoAnalysis.list({ limit: 7, cursor });
          seen.push(...page.items.map((i) => i.videoId));
          cursor = page.nextCursor;
          pages++;
        } while (cursor);
        expect(pages).toBe(4);
        expect(new Set(seen).size).toBe(25);
        expect(seen.slice(0, 3)).toEqual(["list-24", "list-23", "list-22"]);
        const all = await caller.videoAnalysis.list({ limit: 1000 });
        expect(all.items.map((i) => i.videoId)).toEqual(seen);
        expect(all.nextCursor).toBeNull();
      });

      it("defaults to 100 items and accepts no input", async () => {
        const caller = await listOf25("list-default");
        const page = await caller.videoAnalysis.list();
        expect(page.items).toHaveLength(25);
        expect(page.nextCursor).toBeNull();
      });

      it("survives deletion of the row its cursor points at", async () => {
        const caller = await listOf25("list-deleted");
        const first = await caller.videoAnalysis.list({ limit: 5 });
        await caller.videoAnalysis.delete({ videoId: first.items[4]!.videoId });
        const second = await caller.videoAnalysis.list({ limit: 5, cursor: first.nextCursor });
        expect(second.items.map((i) => i.videoId)).toEqual(["list-19", "list-18", "list-17", "list-16", "list-15"]);
      });

      it.each([
        [{ limit: 0 }, "limit"],
        [{ limit: 1001 }, "limit"],
        [{ limit: 2.5 }, "limit"],
        [{ cursor: "not-a-cursor" }, "cursor"],
      ])("rejects %j as BAD_REQUEST", async (input, field) => {
        const error = await trpcError(caller.videoAnalysis.list(input));
        expect(error.code).toBe("BAD_REQUEST");
        expect(JSON.stringify(error.cause)).toContain(field);
      });
    });
  });
