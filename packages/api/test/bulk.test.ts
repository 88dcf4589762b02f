import { testTargets } from "@memory-mirror/db/testing";
import { type TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { accessOf, DESCRIPTION_MAX_LENGTH, type Principal } from "../src/index.ts";
import { useTestDatabase } from "./support/test-database.ts";
import { trpcError } from "./support/trpc-error.ts";

const targets = await testTargets();

/** What the errorFormatter makes of input errors over HTTP: "path: message" per issue. */
function issues(error: TRPCError): string {
  const list = (error.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)?.issues ?? [];
  return list.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

const WRITER: Principal = { keyId: "w", name: "writer", space: "default", scopes: ["read", "write"] };

for (const target of targets)
  describe.skipIf(!!target.skip)(`idempotent and bulk writes on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name);

    const historyRows = (videoId: string, space = "default") =>
      suite.db.prisma.videoAnalysisVersion.count({ where: { analysis: { space, videoId } } });

    describe("upsert", () => {
      it("creates, then the same content again is unchanged: no new version, updatedAt kept", async () => {
        const input = {
          videoId: "u1",
          description: "first",
          tags: ["b", "a"],
          embedding: { model: "m", values: [0.1, 0.2] },
        };
        const created = await suite.caller.videoAnalysis.upsert(input);
        expect(created.status).toBe("created");
        expect(created.analysis).toMatchObject({
          videoId: "u1",
          version: 1,
          tags: ["a", "b"],
          embedding: { model: "m", dimensions: 2 },
        });
        const again = await suite.caller.videoAnalysis.upsert(input);
        expect(again).toEqual({ ...created, status: "unchanged" });
        expect(await historyRows("u1")).toBe(0);
      });

      it("a change is a new version, moves updatedAt forward, and keeps the replaced version in the history", async () => {
        const first = (await suite.caller.videoAnalysis.upsert({ videoId: "u2", description: "one", tags: ["x"] }))
          .analysis;
        const second = await suite.caller.videoAnalysis.upsert({ videoId: "u2", description: "two" });
        expect(second.status).toBe("updated");
        expect(second.analysis).toMatchObject({
          id: first.id,
          version: 2,
          description: "two",
          tags: ["x"],
          createdAt: first.createdAt,
        });
        expect(Date.parse(second.analysis.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
        const { items, nextCursor } = await suite.caller.videoAnalysis.history({ videoId: "u2" });
        expect(items).toEqual([
          {
            version: 1,
            description: "one",
            tags: ["x"],
            embeddingModel: null,
            recordedAt: null,
            metadata: null,
            changedAt: first.updatedAt,
          },
        ]);
        expect(nextCursor).toBeNull();
      });

      it("omitted tags and embedding are kept; [] and null clear them", async () => {
        await suite.caller.videoAnalysis.upsert({
          videoId: "u3",
          description: "d",
          tags: ["t"],
          embedding: { model: "m", values: [1] },
        });
        expect((await suite.caller.videoAnalysis.upsert({ videoId: "u3", description: "d" })).status).toBe("unchanged");
        const cleared = await suite.caller.videoAnalysis.upsert({
          videoId: "u3",
          description: "d",
          tags: [],
          embedding: null,
        });
        expect(cleared).toMatchObject({ status: "updated", analysis: { tags: [], embedding: null, version: 2 } });
        const changedVector = await suite.caller.videoAnalysis.upsert({
          videoId: "u3",
          description: "d",
          embedding: { model: "m", values: [2] },
        });
        expect(changedVector.status).toBe("updated");
        expect(
          (
            await suite.caller.videoAnalysis.upsert({
              videoId: "u3",
              description: "d",
              embedding: { model: "m", values: [2] },
            })
          ).status,
        ).toBe("unchanged");
      });

      it("a stale expectedVersion is a CONFLICT naming the current version; a matching one writes", async () => {
        await suite.caller.videoAnalysis.upsert({ videoId: "u4", description: "v1" });
        await suite.caller.videoAnalysis.upsert({ videoId: "u4", description: "v2" });
        const stale = await trpcError(
          suite.caller.videoAnalysis.upsert({ videoId: "u4", description: "v3", expectedVersion: 1 }),
        );
        expect(stale.code).toBe("CONFLICT");
        expect(stale.message).toBe(
          'Version conflict: videoId "u4" is at version 2, not version 1 (expectedVersion); read it again',
        );
        expect(
          (await suite.caller.videoAnalysis.upsert({ videoId: "u4", description: "v3", expectedVersion: 2 })).analysis
            .version,
        ).toBe(3);
        const none = await trpcError(
          suite.caller.videoAnalysis.upsert({ videoId: "u-none", description: "x", expectedVersion: 1 }),
        );
        expect(none.message).toContain('"u-none" has no analysis');
      });
    });

    describe("update and delete with expectedVersion", () => {
      it("update: stale is a CONFLICT, matching writes, an update that changes nothing makes no version", async () => {
        await suite.caller.videoAnalysis.create({ videoId: "e1", description: "a" });
        const error = await trpcError(
          suite.caller.videoAnalysis.update({ videoId: "e1", description: "b", expectedVersion: 2 }),
        );
        expect(error).toMatchObject({
          code: "CONFLICT",
          message: expect.stringContaining("is at version 1, not version 2") as string,
        });
        const updated = await suite.caller.videoAnalysis.update({
          videoId: "e1",
          description: "b",
          expectedVersion: 1,
        });
        expect(updated.version).toBe(2);
        expect(await suite.caller.videoAnalysis.update({ videoId: "e1", description: "b" })).toEqual(updated);
        expect((await suite.caller.videoAnalysis.history({ videoId: "e1" })).items.map((i) => i.description)).toEqual([
          "a",
        ]);
        expect(
          (
            await trpcError(
              suite.caller.videoAnalysis.update({ videoId: "e-none", description: "b", expectedVersion: 1 }),
            )
          ).code,
        ).toBe("NOT_FOUND");
      });

      it("delete: stale is a CONFLICT and keeps it; matching deletes the analysis and its history", async () => {
        await suite.caller.videoAnalysis.upsert({ videoId: "e2", description: "a" });
        await suite.caller.videoAnalysis.upsert({ videoId: "e2", description: "b" });
        expect(await historyRows("e2")).toBe(1);
        const error = await trpcError(suite.caller.videoAnalysis.delete({ videoId: "e2", expectedVersion: 1 }));
        expect(error).toMatchObject({
          code: "CONFLICT",
          message: expect.stringContaining("is at version 2") as string,
        });
        expect((await suite.caller.videoAnalysis.delete({ videoId: "e2", expectedVersion: 2 })).version).toBe(2);
        expect(await historyRows("e2")).toBe(0);
        expect(await suite.db.prisma.videoAnalysisVersion.count({ where: { analysis: { videoId: "e2" } } })).toBe(0);
        expect((await trpcError(suite.caller.videoAnalysis.delete({ videoId: "e2", expectedVersion: 2 }))).code).toBe(
          "NOT_FOUND",
        );
      });
    });

    describe("history", () => {
      it("pages newest first and never answers the current version", async () => {
        for (let v = 1; v <= 6; v++) await suite.caller.videoAnalysis.upsert({ videoId: "h1", description: `v${v}` });
        const first = await suite.caller.videoAnalysis.history({ videoId: "h1", limit: 2 });
        expect(first.items.map((i) => i.version)).toEqual([5, 4]);
        const second = await suite.caller.videoAnalysis.history({ videoId: "h1", limit: 2, cursor: first.nextCursor });
        const third = await suite.caller.videoAnalysis.history({ videoId: "h1", limit: 2, cursor: second.nextCursor });
        expect([...second.items, ...third.items].map((i) => i.description)).toEqual(["v3", "v2", "v1"]);
        expect(third.nextCursor).toBeNull();
        expect((await trpcError(suite.caller.videoAnalysis.history({ videoId: "h-none" }))).code).toBe("NOT_FOUND");
        expect((await trpcError(suite.caller.videoAnalysis.history({ videoId: "h1", cursor: "nonsense" }))).code).toBe(
          "BAD_REQUEST",
        );
      });

      it("keeps at most HISTORY_LIMIT earlier versions; 0 keeps none", async () => {
        const three = suite.callerIn("limited", { historyLimit: 3 });
        for (let v = 1; v <= 8; v++) await three.videoAnalysis.upsert({ videoId: "h2", description: `v${v}` });
        expect((await three.videoAnalysis.history({ videoId: "h2" })).items.map((i) => i.version)).toEqual([7, 6, 5]);
        expect(await historyRows("h2", "limited")).toBe(3);
        // Lowering the limit answers fewer at once, and the next write prunes the rest.
        const off = suite.callerIn("limited", { historyLimit: 0 });
        expect((await off.videoAnalysis.history({ videoId: "h2" })).items).toEqual([]);
        await off.videoAnalysis.upsert({ videoId: "h2", description: "v9" });
        expect(await historyRows("h2", "limited")).toBe(0);
        expect((await off.videoAnalysis.byVideoIds({ videoIds: ["h2"] })).items[0]?.version).toBe(9);
      });
    });

    describe("upsertMany", () => {
      const items = (n: number, prefix: string) =>
        Array.from({ length: n }, (_, i) => ({
          videoId: `${prefix}-${i}`,
          description: `Scene ${i}`,
          tags: [`t${i % 3}`],
          embedding: { model: "m", values: [i + 1, (i + 1) / 2, -(i + 1)] }, // never all zeros
        }));

      it("1,000 with one bad item stores nothing and names it; fixed, 1,000 created; again, 1,000 unchanged", async () => {
        const batch = items(1000, "many");
        const bad = batch.map((item, i) => (i === 500 ? { ...item, description: "   " } : item));
        const error = await trpcError(suite.caller.videoAnalysis.upsertMany({ items: bad }));
        expect(error.code).toBe("BAD_REQUEST");
        expect(issues(error)).toBe("items.500.description: description must not be blank");
        expect(await suite.db.prisma.videoAnalysis.count({ where: { videoId: { startsWith: "many-" } } })).toBe(0);

        expect(await suite.caller.videoAnalysis.upsertMany({ items: batch })).toEqual({
          created: 1000,
          updated: 0,
          unchanged: 0,
        });
        const stored = await suite.db.prisma.videoAnalysis.findMany({
          where: { videoId: { startsWith: "many-" } },
          select: { updatedAt: true, version: true },
        });
        expect(await suite.caller.videoAnalysis.upsertMany({ items: batch })).toEqual({
          created: 0,
          updated: 0,
          unchanged: 1000,
        });
        const after = await suite.db.prisma.videoAnalysis.findMany({
          where: { videoId: { startsWith: "many-" } },
          select: { updatedAt: true, version: true },
        });
        expect(after).toEqual(stored);

        const changed = batch.map((item, i) =>
          i % 10 === 0 ? { ...item, description: `${item.description}!` } : item,
        );
        expect(await suite.caller.videoAnalysis.upsertMany({ items: changed })).toEqual({
          created: 0,
          updated: 100,
          unchanged: 900,
        });
        const [tagged] = (await suite.caller.videoAnalysis.byVideoIds({ videoIds: ["many-7"] })).items;
        expect(tagged).toMatchObject({ tags: ["t1"], embedding: { model: "m", dimensions: 3 } });
      });

      it("a videoId twice is a BAD_REQUEST naming it; more than 1,000 items or none too", async () => {
        const error = await trpcError(
          suite.caller.videoAnalysis.upsertMany({
            items: [
              { videoId: "d1", description: "a" },
              { videoId: "d2", description: "b" },
              { videoId: "d1", description: "c" },
            ],
          }),
        );
        expect(issues(error)).toBe('items.2.videoId: videoId "d1" appears twice (items 0 and 2)');
        expect(
          issues(await trpcError(suite.caller.videoAnalysis.upsertMany({ items: items(1001, "over") }))),
        ).toContain("at most 1000");
        expect(issues(await trpcError(suite.caller.videoAnalysis.upsertMany({ items: [] })))).toContain("at least one");
      });

      it("takes descriptions up to the limit", async () => {
        const long = "x".repeat(DESCRIPTION_MAX_LENGTH);
        expect(
          await suite.caller.videoAnalysis.upsertMany({ items: [{ videoId: "long", description: long }] }),
        ).toMatchObject({ created: 1 });
      });
    });

    describe("restore (upsertMany with version and timestamps)", () => {
      const restored = {
        videoId: "r1",
        description: "as exported",
        tags: ["a"],
        embedding: { model: "m", values: [0.5] },
        version: 7,
        createdAt: "2025-01-02T03:04:05.678Z",
        updatedAt: "2025-06-07T08:09:10.111Z",
      };

      it("needs an admin key: a writer cannot forge versions or timestamps", async () => {
        const writer = suite.callerIn("default", { principal: WRITER });
        const error = await trpcError(writer.videoAnalysis.upsertMany({ items: [restored] }));
        expect(error.code).toBe("FORBIDDEN");
        expect(error.message).toContain("--content-only");
        const { version: _v, createdAt: _c, updatedAt: _u, ...content } = restored;
        expect(await writer.videoAnalysis.upsertMany({ items: [{ ...content, videoId: "r-writer" }] })).toMatchObject({
          created: 1,
        });
      });

      it("the admin requirement is the procedure's declaration, decided before the items are validated", async () => {
        const { inputScopes } = accessOf("videoAnalysis.upsertMany");
        expect(inputScopes?.scopes).toEqual(["admin"]);
        // A writer's restore item that is also invalid is refused for what it tries, not corrected for its shape.
        const writer = suite.callerIn("default", { principal: WRITER });
        const error = await trpcError(writer.videoAnalysis.upsertMany({ items: [{ ...restored, version: 0 }] }));
        expect(error.code).toBe("FORBIDDEN");
        expect(error.message).toContain("needs an admin key; this key (writer)");
      });

      it("stores exactly the version and timestamps given; again it is unchanged", async () => {
        expect(await suite.caller.videoAnalysis.upsertMany({ items: [restored] })).toMatchObject({ created: 1 });
        const [row] = (await suite.caller.videoAnalysis.byVideoIds({ videoIds: ["r1"] })).items;
        expect(row).toMatchObject({ version: 7, createdAt: restored.createdAt, updatedAt: restored.updatedAt });
        expect(await suite.caller.videoAnalysis.upsertMany({ items: [restored] })).toMatchObject({ unchanged: 1 });
        const page = await suite.caller.videoAnalysis.export({});
        expect(page.items.find((i) => i.videoId === "r1")).toEqual({
          id: expect.any(String) as string,
          videoId: "r1",
          description: "as exported",
          tags: ["a"],
          embedding: { model: "m", values: [0.5] },
          recordedAt: null,
          metadata: null,
          version: 7,
          createdAt: restored.createdAt,
          updatedAt: restored.updatedAt,
        });
      });

      it("a later version replaces the stored one, which joins the history; a lower one drops history it overtook", async () => {
        await suite.caller.videoAnalysis.upsertMany({
          items: [{ ...restored, version: 9, description: "newer", updatedAt: "2025-07-01T00:00:00.000Z" }],
        });
        expect(
          (await suite.caller.videoAnalysis.history({ videoId: "r1" })).items.map((i) => [i.version, i.description]),
        ).toEqual([[7, "as exported"]]);
        await suite.caller.videoAnalysis.upsertMany({ items: [{ ...restored, version: 3 }] });
        expect((await suite.caller.videoAnalysis.history({ videoId: "r1" })).items).toEqual([]);
      });

      it("all three fields or none; an id only with them", async () => {
        const { updatedAt: _, ...partial } = restored;
        expect(issues(await trpcError(suite.caller.videoAnalysis.upsertMany({ items: [partial] })))).toContain(
          "all three or none",
        );
        expect(
          issues(
            await trpcError(
              suite.caller.videoAnalysis.upsertMany({ items: [{ videoId: "x", description: "d", id: "abc" }] }),
            ),
          ),
        ).toContain("id is kept only by a restore");
      });

      it("keeps the id given, unless another analysis has it", async () => {
        const item = { ...restored, videoId: "r-id", id: "cmrestoredid0001" };
        await suite.callerIn("restore-a").videoAnalysis.upsertMany({ items: [item] });
        await suite.callerIn("restore-b").videoAnalysis.upsertMany({ items: [item] });
        const a = (await suite.callerIn("restore-a").videoAnalysis.byVideoIds({ videoIds: ["r-id"] })).items[0];
        const b = (await suite.callerIn("restore-b").videoAnalysis.byVideoIds({ videoIds: ["r-id"] })).items[0];
        expect(a?.id).toBe("cmrestoredid0001");
        expect(b?.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(b).toMatchObject({ version: 7, createdAt: restored.createdAt });
      });
    });

    // Regressions: each of these reached the database and came back as an internal error (500).
    describe("input the columns cannot hold is a BAD_REQUEST", () => {
      it("the same restored id twice in one call (it made the statement violate the primary key, 8 times over)", async () => {
        const restored = {
          description: "d",
          version: 1,
          createdAt: "2025-01-01T00:00:00.000Z",
          updatedAt: "2025-01-01T00:00:00.000Z",
          id: "twin",
        };
        const items = [
          { ...restored, videoId: "twin-1" },
          { ...restored, videoId: "twin-2" },
        ];
        const error = await trpcError(suite.caller.videoAnalysis.upsertMany({ items }));
        expect(error.code).toBe("BAD_REQUEST");
        expect(issues(error)).toContain('id "twin" appears twice (items 0 and 1)');
      });

      it("a version or a history cursor past PostgreSQL's int, a date in the year 0000", async () => {
        await suite.caller.videoAnalysis.upsert({ videoId: "range", description: "d" });
        const tooLarge = await trpcError(
          suite.caller.videoAnalysis.update({ videoId: "range", description: "e", expectedVersion: 3_000_000_000 }),
        );
        expect([tooLarge.code, issues(tooLarge)]).toEqual([
          "BAD_REQUEST",
          "expectedVersion: expectedVersion is too large",
        ]);
        const cursor = Buffer.from("v9999999999", "utf8").toString("base64url");
        const forged = await trpcError(suite.caller.videoAnalysis.history({ videoId: "range", cursor }));
        expect([forged.code, issues(forged)]).toEqual([
          "BAD_REQUEST",
          "cursor: cursor is not a cursor returned by history",
        ]);
        const year0 = "0000-01-01T00:00:00.000Z";
        const ancient = await trpcError(
          suite.caller.videoAnalysis.upsertMany({
            items: [{ videoId: "range", description: "d", version: 1, createdAt: year0, updatedAt: year0 }],
          }),
        );
        expect(ancient.code).toBe("BAD_REQUEST");
        expect(issues(ancient)).toContain("createdAt must be in the year 0001 or later");
      });
    });

    describe("byVideoIds and deleteMany", () => {
      // Each test stores what it reads in a space of its own: it passes alone and in any order.
      const storeB123 = async (space: string) => {
        const caller = suite.callerIn(space);
        await caller.videoAnalysis.upsertMany({
          items: ["b1", "b2", "b3"].map((videoId) => ({ videoId, description: videoId })),
        });
        return caller;
      };

      it("answers in the order asked with null where missing, in one call", async () => {
        const caller = await storeB123("by-video-ids");
        const { items } = await caller.videoAnalysis.byVideoIds({ videoIds: ["b3", "missing", "b1", "b3"] });
        expect(items.map((i) => i?.description ?? null)).toEqual(["b3", null, "b1", "b3"]);
        expect(
          (
            await trpcError(
              caller.videoAnalysis.byVideoIds({ videoIds: Array.from({ length: 1001 }, (_, i) => `x${i}`) }),
            )
          ).code,
        ).toBe("BAD_REQUEST");
      });

      it("charges the answer budget", async () => {
        await storeB123("by-video-ids-budget");
        const small = suite.callerIn("by-video-ids-budget", { maxBytes: 5 });
        expect((await trpcError(small.videoAnalysis.byVideoIds({ videoIds: ["b1", "b2", "b3"] }))).code).toBe(
          "PAYLOAD_TOO_LARGE",
        );
        // Nothing stored answers within any budget: it was the three rows that did not fit.
        expect(await small.videoAnalysis.byVideoIds({ videoIds: ["none"] })).toEqual({ items: [null] });
      });

      it("deleteMany counts what existed and removes its history", async () => {
        const space = "delete-many";
        const caller = await storeB123(space);
        await caller.videoAnalysis.upsert({ videoId: "b2", description: "b2 changed" });
        expect(await historyRows("b2", space)).toBe(1);
        expect(await caller.videoAnalysis.deleteMany({ videoIds: ["b1", "b2", "nope"] })).toEqual({ deleted: 2 });
        expect(await historyRows("b2", space)).toBe(0);
        expect(
          (await caller.videoAnalysis.byVideoIds({ videoIds: ["b1", "b2", "b3"] })).items.map(
            (i) => i?.videoId ?? null,
          ),
        ).toEqual([null, null, "b3"]);
      });
    });

    describe("export", () => {
      it("pages oldest first (createdAt, then id) with every field, vectors included, filtered by tags and since", async () => {
        const x = suite.callerIn("export");
        // Restores place them in time: two share a createdAt, so the id decides.
        const at = (createdAt: string, id: string) => ({ id, version: 1, createdAt, updatedAt: createdAt });
        await x.videoAnalysis.upsertMany({
          items: [
            {
              videoId: "e-b",
              description: "e-b",
              embedding: { model: "m", values: [0, 1e-7] },
              ...at("2026-01-01T00:00:00.000Z", "id-2"),
            },
            {
              videoId: "e-a",
              description: "e-a",
              tags: ["odd"],
              embedding: { model: "m", values: [1, 1e-7] },
              ...at("2026-01-01T00:00:00.000Z", "id-1"),
            },
            { videoId: "e-c", description: "e-c", ...at("2026-01-02T00:00:00.000Z", "id-0") },
          ],
        });
        await x.videoAnalysis.upsert({ videoId: "e-later", description: "later" });
        const first = await x.videoAnalysis.export({ limit: 2 });
        expect(first.total).toBe(4);
        expect(first.items.map((i) => i.videoId)).toEqual(["e-a", "e-b"]);
        expect(first.items[0]).toEqual({
          id: "id-1",
          videoId: "e-a",
          description: "e-a",
          tags: ["odd"],
          embedding: { model: "m", values: [1, 1e-7] },
          recordedAt: null,
          metadata: null,
          version: 1,
          createdAt: "2026-01-01T00:00:00.000Z",
          updatedAt: "2026-01-01T00:00:00.000Z",
        });
        const second = await x.videoAnalysis.export({ limit: 2, cursor: first.nextCursor });
        expect(second.items.map((i) => i.videoId)).toEqual(["e-c", "e-later"]);
        expect(second).toMatchObject({ nextCursor: null, total: null });
        expect((await x.videoAnalysis.export({ tags: ["odd"] })).items.map((i) => i.videoId)).toEqual(["e-a"]);
        const since = second.items[1]?.updatedAt as string;
        expect((await x.videoAnalysis.export({ since })).items.map((i) => i.videoId)).toEqual(["e-later"]);
      });

      it("ends a page early to stay within the answer's byte budget", async () => {
        const big = suite.callerIn("export-big");
        const description = "y".repeat(DESCRIPTION_MAX_LENGTH);
        await big.videoAnalysis.upsertMany({
          items: Array.from({ length: 10 }, (_, i) => ({ videoId: `big-${i}`, description })),
        });
        const tight = suite.callerIn("export-big", { maxBytes: 180_000 });
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: { items: { videoId: string }[]; nextCursor: string | null } = await tight.videoAnalysis.export({
            cursor,
          });
          expect(page.items.length).toBeGreaterThan(0);
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((i) => i.videoId));
          cursor = page.nextCursor;
          pages++;
        } while (cursor);
        expect(pages).toBeGreaterThanOrEqual(4);
        // One statement stamps them all alike: the order is the ids'; every one exactly once.
        expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `big-${i}`).sort());
      });
    });

    describe("concurrency", () => {
      it("64 concurrent upserts of one videoId: one row, version = updated + 1, every replaced version in the history", async () => {
        const c = suite.callerIn("race", { historyLimit: 100 });
        const results = await Promise.all(
          Array.from({ length: 64 }, (_, i) =>
            c.videoAnalysis.upsert({ videoId: "race", description: `content ${i}` }),
          ),
        );
        const statuses = results.map((r) => r.status);
        expect(statuses.filter((s) => s === "created")).toHaveLength(1);
        const updated = statuses.filter((s) => s === "updated").length;
        expect(updated).toBe(63);
        const rows = await suite.db.prisma.videoAnalysis.findMany({ where: { space: "race" } });
        expect(rows).toHaveLength(1);
        expect(rows[0]?.version).toBe(updated + 1);
        const history = await c.videoAnalysis.history({ videoId: "race", limit: 100 });
        expect(history.items.map((i) => i.version)).toEqual(Array.from({ length: 63 }, (_, i) => 63 - i));
        // Every content written is either current or in the history, exactly once.
        const all = [rows[0]?.description, ...history.items.map((i) => i.description)].sort();
        expect(all).toEqual(Array.from({ length: 64 }, (_, i) => `content ${i}`).sort());
      });

      it("64 concurrent updates with the same expectedVersion: exactly one succeeds", async () => {
        const c = suite.callerIn("race2");
        await c.videoAnalysis.create({ videoId: "race", description: "start" });
        const results = await Promise.allSettled(
          Array.from({ length: 64 }, (_, i) =>
            c.videoAnalysis.update({ videoId: "race", description: `u${i}`, expectedVersion: 1 }),
          ),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as TRPCError).code] : []));
        expect(codes).toEqual(Array(63).fill("CONFLICT"));
        expect((await c.videoAnalysis.byVideoIds({ videoIds: ["race"] })).items[0]?.version).toBe(2);
      });

      it("overlapping concurrent upsertMany calls all land, with no lost version", async () => {
        const c = suite.callerIn("race3", { historyLimit: 100 });
        const ids = Array.from({ length: 50 }, (_, i) => `o${i}`);
        // Each call writes the same 50 videos in a different order, with its own content.
        await Promise.all(
          Array.from({ length: 8 }, (_, k) =>
            c.videoAnalysis.upsertMany({
              items: (k % 2 ? [...ids].reverse() : ids).map((videoId) => ({
                videoId,
                description: `${videoId} by ${k}`,
              })),
            }),
          ),
        );
        const rows = await suite.db.prisma.videoAnalysis.findMany({
          where: { space: "race3" },
          select: { version: true },
        });
        expect(rows).toHaveLength(50);
        expect(rows.every((r) => r.version === 8)).toBe(true);
        expect(await suite.db.prisma.videoAnalysisVersion.count({ where: { analysis: { space: "race3" } } })).toBe(
          50 * 7,
        );
      });
    });
  });
