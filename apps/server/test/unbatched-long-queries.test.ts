/**
 * Regression tests for the unbatched typed client (`batch: false`) and long queries: it sent every query as GET, so
 * one whose input made the URL pass Node's 16 KB limit for URL and headers got a 414. Now such a query goes as POST
 * (tRPC's method override) while a short one keeps GET. The method is read from the server's own access log.
 */
import { createMemoryMirrorClient, QUERY_URL_MAX_LENGTH } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCESS_LINE } from "../src/logger.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();

for (const target of targets) {
  describe.skipIf(!!target.skip)(`the unbatched client's long queries on the ${target.name} database`, () => {
    let server: TestServer;
    const access: { method: string; path: string; status: number }[] = [];
    beforeAll(async () => {
      const logger = pino(
        { level: "info" },
        {
          write: (line: string) => {
            const entry = JSON.parse(line) as { msg: string; method: string; path: string; status: number };
            if (entry.msg === ACCESS_LINE)
              access.push({ method: entry.method, path: entry.path, status: entry.status });
          },
        },
      );
      server = await startTestServer(target.name, { auth: "off" }, { logger });
    });
    afterAll(() => server?.close());

    const methodsOf = (path: string) => access.filter((a) => a.path === path).map((a) => `${a.method} ${a.status}`);

    it("sends a byVideoIds query longer than Node's URL limit as POST, and it succeeds", async () => {
      const client = createMemoryMirrorClient({ url: server.url, batch: false });
      await client.videoAnalysis.create.mutate({ videoId: "long-query-kept", description: "found among many" });
      // 1,000 ids of 40 characters: about 45 KB as a URL, over Node's 16 KB.
      const videoIds = Array.from({ length: 1000 }, (_, i) => `long-query-${String(i).padStart(29, "0")}`);
      videoIds[500] = "long-query-kept";
      const { items } = await client.videoAnalysis.byVideoIds.query({ videoIds });
      expect(items).toHaveLength(1000);
      expect(items[500]?.description).toBe("found among many");
      expect(items.filter((item) => item !== null)).toHaveLength(1);
      expect(methodsOf("/trpc/videoAnalysis.byVideoIds")).toEqual(["POST 200"]);
    });

    it("sends a context query naming long videoIds as POST", async () => {
      const client = createMemoryMirrorClient({ url: server.url, batch: false });
      const videoIds = Array.from({ length: 100 }, (_, i) => `${String(i)}-${"v".repeat(200)}`);
      const answer = await client.videoAnalysis.context.query({ videoIds });
      expect(answer.sources).toEqual([]);
      expect(methodsOf("/trpc/videoAnalysis.context")).toEqual(["POST 200"]);
    });

    it("keeps a short query as GET", async () => {
      const client = createMemoryMirrorClient({ url: server.url, batch: false });
      await client.videoAnalysis.search.query({ query: "walk" });
      expect(methodsOf("/trpc/videoAnalysis.search")).toEqual(["GET 200"]);
    });

    it("sends a query whose URL is exactly QUERY_URL_MAX_LENGTH as GET, one character more as POST", async () => {
      const client = createMemoryMirrorClient({ url: server.url, batch: false });
      // The URL tRPC builds for a GET: endpoint, path, then the input as URL-encoded JSON.
      const urlOf = (videoIds: string[]) =>
        `${server.url}/trpc/videoAnalysis.byVideoIds?input=${encodeURIComponent(JSON.stringify({ videoIds }))}`;
      const sized = (length: number) => {
        const videoIds = Array.from({ length: 38 }, (_, i) => `edge-${String(i).padStart(190, "0")}`);
        const short = urlOf([...videoIds, ""]).length;
        return [...videoIds, "e".repeat(length - short)];
      };
      const atLimit = sized(QUERY_URL_MAX_LENGTH);
      expect(urlOf(atLimit)).toHaveLength(QUERY_URL_MAX_LENGTH);
      const byVideoIds = (videoIds: string[]) => client.videoAnalysis.byVideoIds.query({ videoIds });
      expect((await byVideoIds(atLimit)).items).toHaveLength(39);
      expect((await byVideoIds(sized(QUERY_URL_MAX_LENGTH + 1))).items).toHaveLength(39);
      expect(methodsOf("/trpc/videoAnalysis.byVideoIds").slice(-2)).toEqual(["GET 200", "POST 200"]);
    });
  });
}
