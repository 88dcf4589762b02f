/**
 * The recording-time range and metadata containment filters of list and export, alone and with tags, the list in
 * recording order with stable pages, and the indexes the filters use, on both databases.
 */
import { Prisma } from "@memory-mirror/db";
import { testTargets } from "@memory-mirror/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, createContext, type Metadata } from "../src/index.ts";
import { searchInput } from "../src/schemas.ts";
import { memoryFilterConditions } from "../src/video-analysis/filters.ts";
import { candidateStatement } from "../src/video-analysis/search-candidates.ts";
import { parseQuery } from "../src/video-analysis/search-query.ts";
import { useTestDatabase } from "./support/test-database.ts";
import { trpcError } from "./support/trpc-error.ts";

const targets = await testTargets();

/** Five memories in time (one undated), in two places. */
const MEMORIES = [
  { videoId: "beach-2019", recordedAt: "2019-07-14T10:00:00+02:00", metadata: { place: "Lisbon", people: ["Leo"] } },
  {
    videoId: "xmas-2021",
    recordedAt: "2021-12-25T09:00:00-05:00",
    metadata: { place: "Boston", people: ["Leo", "Mia"] },
  },
  { videoId: "ny-2022", recordedAt: "2022-01-01T00:00:00Z", metadata: { place: "Lisbon", people: ["Mia"] } },
  { videoId: "swim-2019", recordedAt: "2019-08-02T16:30:00+01:00", metadata: { place: "Porto", people: ["Leo"] } },
  { videoId: "undated", metadata: { place: "Lisbon" } },
] as const;

for (const target of targets)
  describe.skipIf(!!target.skip)(`memory filters on the ${target.name} database`, () => {
    const suite = useTestDatabase(target.name, "filters");

    beforeAll(async () => {
      await suite.caller.videoAnalysis.upsertMany({
        items: MEMORIES.map((m, i) => ({
          ...m,
          metadata: JSON.parse(JSON.stringify(m.metadata)) as Metadata,
          description: `memory ${m.videoId}`,
          tags: i % 2 ? ["family"] : ["family", "summer"],
        })),
      });
    });

    const ids = (page: { items: { videoId: string }[] }) => page.items.map((i) => i.videoId).sort();

    it.each([
      ["recordedAfter alone (inclusive)", { recordedAfter: "2021-12-25T14:00:00Z" }, ["ny-2022", "xmas-2021"]],
      [
        "recordedBefore alone (exclusive)",
        { recordedBefore: "2022-01-01T00:00:00Z" },
        ["beach-2019", "swim-2019", "xmas-2021"],
      ],
      [
        "a range in another offset",
        { recordedAfter: "2019-07-01T00:00:00+02:00", recordedBefore: "2019-09-01T00:00:00+02:00" },
        ["beach-2019", "swim-2019"],
      ],
      ["metadata containment", { metadata: { place: "Lisbon" } }, ["beach-2019", "ny-2022", "undated"]],
      ["metadata containment in an array", { metadata: { people: ["Mia"] } }, ["ny-2022", "xmas-2021"]],
      [
        "metadata and a range together",
        { metadata: { place: "Lisbon" }, recordedBefore: "2020-01-01T00:00:00Z" },
        ["beach-2019"],
      ],
      ["with tags", { tags: ["summer"], metadata: { people: ["Leo"] } }, ["beach-2019"]],
      ["nothing matching", { metadata: { place: "Tokyo" } }, []],
    ])("list: %s", async (_, filters, expected) => {
      expect(ids(await suite.caller.videoAnalysis.list(filters))).toEqual(expected);
      expect(ids(await suite.caller.videoAnalysis.export(filters))).toEqual(expected);
    });

    it("list by recordedAt: oldest recording first, undated last, the same across pages of one", async () => {
      const order = ["beach-2019", "swim-2019", "xmas-2021", "ny-2022", "undated"];
      expect((await suite.caller.videoAnalysis.list({ orderBy: "recordedAt" })).items.map((i) => i.videoId)).toEqual(
        order,
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof suite.caller.videoAnalysis.list>> = await suite.caller.videoAnalysis.list(
          {
            orderBy: "recordedAt",
            limit: 1,
            cursor,
          },
        );
        seen.push(...page.items.map((i) => i.videoId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(order);
    });

    it("a cursor from one order is refused in the other, naming both", async () => {
      const page = await suite.caller.videoAnalysis.list({ orderBy: "recordedAt", limit: 1 });
      const error = await trpcError(suite.caller.videoAnalysis.list({ cursor: page.nextCursor }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("cursor comes from a list ordered by recordedAt, not by createdAt");
    });

    it("an empty range is refused rather than answered with nothing", async () => {
      const error = await trpcError(
        suite.caller.videoAnalysis.list({
          recordedAfter: "2020-01-01T00:00:00Z",
          recordedBefore: "2019-01-01T00:00:00Z",
        }),
      );
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("recordedBefore must be later than recordedAfter");
    });

    it.each([
      [{ recordedAfter: "2019-07-01" }, "recordedAfter must be an ISO-8601 date-time with an offset"],
      [{ metadata: ["Lisbon"] }, "metadata must be a JSON object"],
    ])("a bad filter is a BAD_REQUEST saying why: %j", async (filters, reason) => {
      const error = await trpcError(suite.caller.videoAnalysis.list(filters as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(reason);
    });

    describe("at 100,000 memories the filters use their indexes", () => {
      const SPACE = "big";
      beforeAll(async () => {
        // Straight into the table (100,000 rows through the API would only test the API's speed), in statements of
        // 10,000 so none outlasts the driver's read timeout on a loaded machine.
        for (let from = 1; from <= 100_000; from += 10_000)
          await suite.db.prisma.$executeRaw`
          INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "recordedAt", "recordedAtOffset", "metadata", "updatedAt")
          SELECT 'big-' || n, ${SPACE}, 'v' || n, 'memory',
            timestamptz '2000-01-01' + n * interval '1 hour', 0,
            jsonb_build_object('n', n, 'place', 'p' || (n % 1000)), now()
          FROM generate_series(${from}::int, ${from + 9_999}::int) AS n`;
        await suite.db.prisma.$executeRaw`ANALYZE "VideoAnalysis"`;
      }, 180_000);

      const plan = async (filters: Parameters<typeof memoryFilterConditions>[1]) => {
        const where = Prisma.join([Prisma.sql`a."space" = ${SPACE}`, ...memoryFilterConditions("a", filters)], " AND ");
        const rows = await suite.db.prisma.$queryRaw<{ "QUERY PLAN": string }[]>(
          Prisma.sql`EXPLAIN SELECT a."id" FROM "VideoAnalysis" a WHERE ${where}
            ORDER BY a."createdAt" DESC, a."id" DESC LIMIT 101`,
        );
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      };

      it("metadata containment: the GIN index on metadata", async () => {
        const text = await plan({ metadata: { n: 4242 } });
        expect(text).toContain("VideoAnalysis_metadata_idx");
        expect(text).not.toMatch(/Seq Scan/);
      });

      it("a recording-time range: the (space, recordedAt, id) index", async () => {
        const text = await plan({ recordedAfter: "2001-01-01T00:00:00Z", recordedBefore: "2001-01-02T00:00:00Z" });
        expect(text).toContain("VideoAnalysis_space_recordedAt_id_idx");
        expect(text).not.toMatch(/Seq Scan/);
      });

      it("list by recordedAt: the first page walks the (space, recordedAt, id) index, never sorting the space", async () => {
        const rows = await suite.db.prisma.$queryRaw<{ "QUERY PLAN": string }[]>`
          EXPLAIN SELECT a."id" FROM "VideoAnalysis" a WHERE a."space" = ${SPACE}
          ORDER BY a."recordedAt" ASC NULLS LAST, a."id" ASC LIMIT 101`;
        const text = rows.map((r) => r["QUERY PLAN"]).join("\n");
        expect(text).toContain("VideoAnalysis_space_recordedAt_id_idx");
        expect(text).not.toMatch(/Sort|Seq Scan/);
      });

      it("search with a filter: the candidate statement reaches the filtered rows through their index", async () => {
        const ctx = createContext({ prisma: suite.db.prisma, principal: ANONYMOUS, space: SPACE });
        const plan = async (filters: Record<string, unknown>) => {
          const input = searchInput.parse({ query: "memory", ...filters });
          const statement = candidateStatement(ctx, input, parseQuery("memory"), { kind: "none" }, 50);
          const rows = await suite.db.prisma.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ${statement}`);
          return rows.map((r) => r["QUERY PLAN"]).join("\n");
        };
        // Every one of the 100,000 memories holds the word: only the filter's index keeps this from reading them all.
        const metadata = await plan({ metadata: { n: 4242 } });
        expect(metadata).toContain("VideoAnalysis_metadata_idx");
        expect(metadata).not.toMatch(/Seq Scan on "VideoAnalysis"/);
        const range = await plan({ recordedAfter: "2001-01-01T00:00:00Z", recordedBefore: "2001-01-02T00:00:00Z" });
        expect(range).toContain("VideoAnalysis_space_recordedAt_id_idx");
        expect(range).not.toMatch(/Seq Scan on "VideoAnalysis"/);
        const big = suite.callerIn(SPACE);
        const found = await big.videoAnalysis.search({ query: "memory", metadata: { n: 4242 } });
        expect(found.items.map((i) => i.analysis.videoId)).toEqual(["v4242"]);
      });

      it("and the answers are right", async () => {
        const big = suite.callerIn(SPACE);
        expect((await big.videoAnalysis.list({ metadata: { n: 4242 } })).items.map((i) => i.videoId)).toEqual([
          "v4242",
        ]);
        const day = await big.videoAnalysis.list({
          recordedAfter: "2001-01-01T00:00:00Z",
          recordedBefore: "2001-01-02T00:00:00Z",
          orderBy: "recordedAt",
        });
        expect(day.items).toHaveLength(24);
        expect(day.items[0]?.recordedAt).toBe("2001-01-01T00:00:00Z");
      });
    });
  });
