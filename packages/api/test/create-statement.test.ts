/**
 * A create's INSERT runs on the driver adapter (queryDriver), not through `$queryRaw`: its answer must be what a
 * lookup of the same analysis answers, every column converted as Prisma reads it, absent fields (bound as NULL)
 * included; a taken videoId stays a CONFLICT; the change log records it; on PostgreSQL it runs named.
 */
import { queryDriver } from "@memory-mirror/db";
import { testTargets } from "@memory-mirror/db/testing";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { readChanges } from "../src/changes/log.ts";
import { select, storedRowOf, toAnalysis } from "../src/video-analysis/stored-row.ts";
import { fullAnalysis } from "./fixtures/full-analysis.ts";
import { useOneConnection } from "./support/one-connection.ts";
import { useTestDatabase } from "./support/test-database.ts";

const targets = await testTargets();
/** What a client reads: the answer as JSON text. */
const wire = (value: unknown) => JSON.stringify(value);

for (const target of targets)
  describe.skipIf(!!target.skip)(`create through the driver adapter on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "creates");

    it("answers what a lookup of it answers, byte for byte: dates, offsets, JSON, tags, the embedding's model", async () => {
      const created = await suite.caller.videoAnalysis.create(fullAnalysis);
      expect(wire(created)).toBe(wire(await suite.caller.videoAnalysis.byVideoId({ videoId: "full" })));
      const stored = await suite.db.prisma.videoAnalysis.findUnique({
        where: { space_videoId: { space: "creates", videoId: "full" } },
        select,
      });
      expect(created).toEqual(JSON.parse(wire(toAnalysis(storedRowOf(stored!)))));
      expect(created).toMatchObject({
        version: 1,
        tags: ["a", "b"],
        embedding: { model: "marengo-2.7", dimensions: 3 },
        recordedAt: "2019-07-14T10:00:00.123+02:00",
      });
      expect(created.createdAt).toEqual(created.updatedAt);
      const vector = await queryDriver(
        suite.db.prisma,
        `SELECT "embedding"::text FROM "VideoAnalysis" WHERE "space" = 'creates' AND "videoId" = 'full'`,
        [],
      );
      expect(vector.rows).toEqual([["[0.25,-1,3e-07]"]]);
    });

    it("a create with nothing but its description stores NULLs, answered as a lookup answers them", async () => {
      const before = Date.now();
      const created = await suite.caller.videoAnalysis.create({ videoId: "bare", description: "nothing else" });
      expect(wire(created)).toBe(wire(await suite.caller.videoAnalysis.byVideoId({ videoId: "bare" })));
      expect(created).toMatchObject({ tags: [], embedding: null, recordedAt: null, metadata: null, version: 1 });
      // The service's clock, in UTC, to the millisecond (timestamp(3) without a zone).
      expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(created.createdAt)).toBeLessThanOrEqual(Date.now());
    });

    it("a taken videoId is a CONFLICT that names it, and the stored analysis stays", async () => {
      await suite.caller.videoAnalysis.create({ videoId: "taken", description: "first" });
      const error = await suite.caller.videoAnalysis
        .create({ videoId: "taken", description: "second" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect(error).toMatchObject({
        code: "CONFLICT",
        message: 'A video analysis for videoId "taken" already exists',
      });
      expect((await suite.caller.videoAnalysis.byVideoId({ videoId: "taken" })).description).toBe("first");
    });

    it("the change log records the create with its version and tags", async () => {
      const created = await suite.callerIn("creates-log").videoAnalysis.create({
        videoId: "logged",
        description: "logged",
        tags: ["t"],
      });
      const [change, ...more] = await readChanges(suite.db.prisma, [{ space: "creates-log", after: 0n }], 10);
      expect(more).toEqual([]);
      expect(change).toMatchObject({ videoId: "logged", tags: ["t"], event: { type: "created", version: 1 } });
      expect(change?.event).toMatchObject({ analysis: { id: created.id } });
    });
  });

const postgres = targets.find((t) => t.name === "postgres")!;

describe.skipIf(!!postgres.skip)("a create's INSERT runs named on PostgreSQL once seen twice", () => {
  const { caller, named } = useOneConnection("named");

  it("parsed once per connection: the INSERT is among the connection's named statements", async () => {
    for (const videoId of ["one", "two", "three"])
      await caller().videoAnalysis.create({ videoId, description: videoId });
    const inserts = (await named()).filter((sql) => sql.includes(`INSERT INTO "VideoAnalysis"`));
    expect(inserts).toHaveLength(1);
  });
});
