/**
 * recordedAt and metadata through every write path of the domain (create, update, upsert, upsertMany, restore),
 * history and export, on both databases: what is sent comes back, offset and all, and bad values are refused with
 * a reason.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { METADATA_MAX_BYTES, type UpsertManyItem } from "../src/index.ts";
import { useTestDatabase } from "./support/test-database.ts";
import { trpcError } from "./support/trpc-error.ts";

const targets = await testTargets();

const DAY = 24 * 60 * 60 * 1000;

for (const target of targets)
  describe.skipIf(!!target.skip)(`recordedAt and metadata on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name);

    it.each([
      ["an offset east of UTC", "2019-07-14T10:00:00+02:00"],
      ["an offset west of UTC, with minutes", "2019-07-14T10:00:00-03:30"],
      ["UTC", "2019-07-14T08:00:00Z"],
      ["milliseconds", "2019-07-14T10:00:00.250+05:45"],
      ["the first instant accepted", "1900-01-01T00:00:00Z"],
    ])("create keeps recordedAt as sent: %s", async (_, recordedAt) => {
      const videoId = `rt-${recordedAt}`;
      const created = await suite.caller.videoAnalysis.create({ videoId, description: "d", recordedAt });
      expect(created.recordedAt).toBe(recordedAt);
      expect((await suite.caller.videoAnalysis.byVideoId({ videoId })).recordedAt).toBe(recordedAt);
    });

    it("recordedAt is stored as its instant: the offset changes how it is written, not when it was", async () => {
      await suite.caller.videoAnalysis.create({
        videoId: "inst",
        description: "d",
        recordedAt: "2019-07-14T10:00:00+02:00",
      });
      const [row] = await suite.db.prisma.$queryRaw<{ utc: string }[]>`
        SELECT to_char("recordedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS "utc"
        FROM "VideoAnalysis" WHERE "space" = 'default' AND "videoId" = 'inst'`;
      expect(row?.utc).toBe("2019-07-14T08:00:00");
    });

    it("fractions beyond the millisecond are kept to the millisecond", async () => {
      const created = await suite.caller.videoAnalysis.create({
        videoId: "micro",
        description: "d",
        recordedAt: "2019-07-14T10:00:00.123456+02:00",
      });
      expect(created.recordedAt).toBe("2019-07-14T10:00:00.123+02:00");
    });

    it("metadata comes back as sent, nested values included", async () => {
      const metadata = {
        place: "Lisbon",
        people: ["Leo", "Mia"],
        durationSeconds: 42.5,
        indoor: false,
        camera: { make: "Pixel", lens: null, gps: { lat: 38.7223, lon: -9.1393 } },
        title: "Praia 🌊",
      };
      const created = await suite.caller.videoAnalysis.create({ videoId: "meta", description: "d", metadata });
      expect(created.metadata).toEqual(metadata);
      expect((await suite.caller.videoAnalysis.byVideoId({ videoId: "meta" })).metadata).toEqual(metadata);
    });

    it("update changes, keeps and removes them; a change is a version and the replaced one is in the history", async () => {
      await suite.caller.videoAnalysis.create({
        videoId: "upd",
        description: "d",
        recordedAt: "2019-07-14T10:00:00+02:00",
        metadata: { place: "Lisbon" },
      });
      const moved = await suite.caller.videoAnalysis.update({
        videoId: "upd",
        recordedAt: "2019-07-15T09:30:00-04:00",
      });
      expect(moved).toMatchObject({
        version: 2,
        recordedAt: "2019-07-15T09:30:00-04:00",
        metadata: { place: "Lisbon" },
      });
      // The same instant in another offset is a change too: the answer would differ.
      const sameInstant = await suite.caller.videoAnalysis.update({
        videoId: "upd",
        recordedAt: "2019-07-15T13:30:00Z",
      });
      expect(sameInstant).toMatchObject({ version: 3, recordedAt: "2019-07-15T13:30:00Z" });
      const unchanged = await suite.caller.videoAnalysis.update({ videoId: "upd", metadata: { place: "Lisbon" } });
      expect(unchanged.version).toBe(3);
      const cleared = await suite.caller.videoAnalysis.update({ videoId: "upd", recordedAt: null, metadata: null });
      expect(cleared).toMatchObject({ version: 4, recordedAt: null, metadata: null, description: "d" });
      const { items } = await suite.caller.videoAnalysis.history({ videoId: "upd" });
      expect(items.map((i) => [i.version, i.recordedAt, i.metadata])).toEqual([
        [3, "2019-07-15T13:30:00Z", { place: "Lisbon" }],
        [2, "2019-07-15T09:30:00-04:00", { place: "Lisbon" }],
        [1, "2019-07-14T10:00:00+02:00", { place: "Lisbon" }],
      ]);
    });

    it("update needs something to change, and names recordedAt and metadata among the choices", async () => {
      const error = await trpcError(suite.caller.videoAnalysis.update({ videoId: "upd" }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("description, tags, embedding, recordedAt, metadata");
    });

    it("upsert: omitted keeps them, null removes them, the same again is unchanged", async () => {
      const first = await suite.caller.videoAnalysis.upsert({
        videoId: "ups",
        description: "d",
        recordedAt: "2021-12-25T09:00:00+01:00",
        metadata: { holiday: "christmas" },
      });
      expect(first.status).toBe("created");
      const again = await suite.caller.videoAnalysis.upsert({ videoId: "ups", description: "d" });
      expect(again).toMatchObject({
        status: "unchanged",
        analysis: { recordedAt: "2021-12-25T09:00:00+01:00", metadata: { holiday: "christmas" }, version: 1 },
      });
      const newMeta = await suite.caller.videoAnalysis.upsert({ videoId: "ups", description: "d", metadata: { a: 1 } });
      expect(newMeta).toMatchObject({ status: "updated", analysis: { metadata: { a: 1 }, version: 2 } });
      const removed = await suite.caller.videoAnalysis.upsert({ videoId: "ups", description: "d", recordedAt: null });
      expect(removed).toMatchObject({ status: "updated", analysis: { recordedAt: null, metadata: { a: 1 } } });
    });

    it("upsertMany writes them per item", async () => {
      const result = await suite.caller.videoAnalysis.upsertMany({
        items: [
          { videoId: "many-1", description: "d", recordedAt: "2018-01-01T00:00:00-08:00", metadata: { n: 1 } },
          { videoId: "many-2", description: "d" },
        ],
      });
      expect(result).toEqual({ created: 2, updated: 0, unchanged: 0 });
      const { items } = await suite.caller.videoAnalysis.byVideoIds({ videoIds: ["many-1", "many-2"] });
      expect(items.map((i) => [i?.recordedAt, i?.metadata])).toEqual([
        ["2018-01-01T00:00:00-08:00", { n: 1 }],
        [null, null],
      ]);
    });

    it("export → delete → restore → export is the same, byte for byte", async () => {
      const space = suite.callerIn("roundtrip");
      await space.videoAnalysis.upsertMany({
        items: [
          {
            videoId: "a",
            description: "beach",
            tags: ["beach"],
            recordedAt: "2019-07-14T10:00:00.5+02:00",
            metadata: { place: "Lisbon", people: ["Leo"], nested: { deep: { deeper: [1, "two", null, true] } } },
            embedding: { model: "m", values: [0.25, -1] },
          },
          { videoId: "b", description: "no time", metadata: {} },
          { videoId: "c", description: "utc", recordedAt: "2001-02-03T04:05:06.789Z" },
        ],
      });
      await space.videoAnalysis.update({ videoId: "c", metadata: { z: "last", a: "first", ключ: "значение" } });
      const lines = async () =>
        (await space.videoAnalysis.export({})).items.map((item) => JSON.stringify(item)).join("\n");
      const before = await lines();
      expect(before).toContain('"recordedAt":"2019-07-14T10:00:00.500+02:00"');
      const exported = (await space.videoAnalysis.export({})).items;
      await space.videoAnalysis.deleteMany({ videoIds: exported.map((i) => i.videoId) });
      await space.videoAnalysis.upsertMany({
        items: exported.map((item) => JSON.parse(JSON.stringify(item)) as UpsertManyItem),
      });
      expect(await lines()).toBe(before);
    });

    describe("refused with a reason", () => {
      const bad = async (input: Record<string, unknown>) => {
        const error = await trpcError(
          suite.caller.videoAnalysis.create({ videoId: "bad", description: "d", ...input }),
        );
        expect(error.code).toBe("BAD_REQUEST");
        return error.message;
      };

      it.each([
        ["before 1900", "1899-12-31T23:59:59Z", "must not be before 1900"],
        ["without an offset", "2019-07-14T10:00:00", "with an offset"],
        ["a date only", "2019-07-14", "with an offset"],
        ["not a date", "last summer", "ISO-8601"],
        ["a day that does not exist", "2019-02-30T10:00:00Z", "recordedAt"],
      ])("recordedAt %s", async (_, recordedAt, reason) => {
        expect(await bad({ recordedAt })).toContain(reason);
      });

      it("recordedAt more than a day ahead, but not a clock a few hours fast", async () => {
        const ahead = new Date(Date.now() + 2 * DAY).toISOString();
        expect(await bad({ recordedAt: ahead })).toContain("more than a day in the future");
        const soon = new Date(Date.now() + DAY / 2).toISOString();
        const ok = await suite.caller.videoAnalysis.create({ videoId: "soon", description: "d", recordedAt: soon });
        expect(ok.recordedAt).toBe(soon);
      });

      it("metadata over 16 KB names the limit", async () => {
        expect(await bad({ metadata: { text: "x".repeat(METADATA_MAX_BYTES) } })).toContain(
          `at most ${METADATA_MAX_BYTES} bytes`,
        );
      });

      it("metadata with more than 64 keys in all names the limit", async () => {
        const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
        expect(await bad({ metadata: { ...many, inner: { ...many } } })).toContain("at most 64 keys");
      });

      it("metadata nested deeper than 4 levels names the limit and where", async () => {
        expect(await bad({ metadata: { a: { b: { c: { d: { e: 1 } } } } } })).toContain(
          "at most 4 levels deep (metadata.a.b.c.d)",
        );
        expect(await bad({ metadata: { a: [[[["x"]]]] } })).toContain("at most 4 levels deep");
      });

      it.each([
        ["an array", ["a"], "must be a JSON object"],
        ["a string", "place=Lisbon", "must be a JSON object"],
        ["a NUL in a value", { a: "x\0y" }, "metadata.a must not contain NUL"],
        ["a NUL in a key", { "a\0": 1 }, "keys must be well-formed Unicode"],
      ])("metadata as %s", async (_, metadata, reason) => {
        expect(await bad({ metadata })).toContain(reason);
      });

      it("nothing was stored by the refused writes", async () => {
        const error = await trpcError(suite.caller.videoAnalysis.byVideoId({ videoId: "bad" }));
        expect(error.code).toBe("NOT_FOUND");
      });
    });
  });
