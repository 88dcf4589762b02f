/**
 * Regression tests for a NULL element inside a stored `tags` array (only raw SQL can put one there): every answer
 * that carries tags leaves it out (storedTags) — delete's and a write's RETURNING, the history, export, tag counts,
 * the change log behind recent changes and onChange — where output validation used to refuse the null with a 500.
 * And a write that keeps the stored tags rewrites them without the NULL (it used to survive in the row).
 * Through the real transports (@memory-mirror/client, REST over HTTP, the MCP SDK's client), on both databases.
 */
import { createMemoryMirrorClient, type MemoryMirrorClient } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";
import { collectChanges } from "./support/changes.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`a NULL among stored tags on the ${target.name} database`, () => {
    let server: TestServer;
    let client: MemoryMirrorClient;
    let mcp: Client;

    beforeAll(async () => {
      server = await startTestServer(target.name);
      client = createMemoryMirrorClient({ url: server.url });
      mcp = await connectMcp(server.url);
    });
    afterAll(async () => {
      await mcp?.close();
      await server?.close();
    });

    /** Creates the analysis, then gives it NULL tags behind the service's back (as only raw SQL can). */
    async function withNullTags(videoId: string): Promise<void> {
      await client.videoAnalysis.create.mutate({ videoId, description: `about ${videoId}`, tags: ["kept"] });
      await server.server.database.prisma.$executeRaw`UPDATE "VideoAnalysis"
        SET "tags" = ARRAY[NULL, 'kept', NULL]::text[] WHERE "videoId" = ${videoId}`;
    }

    async function tool(name: string, args: Record<string, unknown>) {
      const result = await mcp.callTool({ name, arguments: args });
      const [content] = result.content as { text: string }[];
      return { isError: result.isError === true, text: content?.text ?? "" };
    }

    it("delete answers the deleted analysis without the NULL (tRPC, REST and MCP)", async () => {
      await withNullTags("del-trpc");
      expect(await client.videoAnalysis.delete.mutate({ videoId: "del-trpc" })).toMatchObject({ tags: ["kept"] });

      await withNullTags("del-rest");
      const response = await fetch(`${server.url}/api/video-analysis/del-rest`, { method: "DELETE" });
      expect(response.status).toBe(204);
      expect((await fetch(`${server.url}/api/video-analysis/del-rest`)).status).toBe(404);

      await withNullTags("del-mcp");
      const deleted = await tool("delete_video_analysis", { videoId: "del-mcp" });
      expect(deleted.isError).toBe(false);
      expect(JSON.parse(deleted.text)).toMatchObject({ videoId: "del-mcp", tags: ["kept"] });
    });

    it("update and upsert that keep the stored tags answer them without the NULL", async () => {
      await withNullTags("write");
      expect(await client.videoAnalysis.update.mutate({ videoId: "write", description: "v2" })).toMatchObject({
        version: 2,
        tags: ["kept"],
      });
      expect(await client.videoAnalysis.upsert.mutate({ videoId: "write", description: "v3" })).toMatchObject({
        analysis: { version: 3, tags: ["kept"] },
        status: "updated",
      });
      const patched = await fetch(`${server.url}/api/video-analysis/write`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ description: "v4" }),
      });
      expect(patched.status).toBe(200);
      expect(await patched.json()).toMatchObject({ tags: ["kept"] });
    });

    /** The row's own tags, NULL elements included, as only raw SQL sees them. */
    async function storedTagsOf(videoId: string): Promise<(string | null)[]> {
      const [row] = await server.server.database.prisma.$queryRaw<{ tags: (string | null)[] }[]>`
        SELECT "tags" FROM "VideoAnalysis" WHERE "videoId" = ${videoId}`;
      return row?.tags ?? [];
    }

    it("an update, upsert or upsertMany that leaves the tags alone rewrites them without the NULL", async () => {
      await withNullTags("rewrite-update");
      await client.videoAnalysis.update.mutate({ videoId: "rewrite-update", description: "v2" });
      expect(await storedTagsOf("rewrite-update")).toEqual(["kept"]);

      await withNullTags("rewrite-upsert");
      await client.videoAnalysis.upsert.mutate({ videoId: "rewrite-upsert", description: "v2" });
      expect(await storedTagsOf("rewrite-upsert")).toEqual(["kept"]);

      await withNullTags("rewrite-bulk");
      const counts = await client.videoAnalysis.upsertMany.mutate({
        items: [{ videoId: "rewrite-bulk", description: "v2" }],
      });
      expect(counts).toEqual({ created: 0, updated: 1, unchanged: 0 });
      expect(await storedTagsOf("rewrite-bulk")).toEqual(["kept"]);

      // The replaced version joins the history as every reader saw it: without the NULL too.
      const [version] = await server.server.database.prisma.$queryRaw<{ tags: (string | null)[] }[]>`
        SELECT h."tags" FROM "VideoAnalysisVersion" h JOIN "VideoAnalysis" a ON a."id" = h."analysisId"
        WHERE a."videoId" = 'rewrite-update'`;
      expect(version?.tags).toEqual(["kept"]);
    });

    it("a write that changes nothing a reader sees stays unchanged: no new version for the NULL alone", async () => {
      await withNullTags("same");
      const answer = await client.videoAnalysis.upsert.mutate({ videoId: "same", description: "about same" });
      expect(answer).toMatchObject({ status: "unchanged", analysis: { version: 1, tags: ["kept"] } });
      expect(await storedTagsOf("same")).toEqual([null, "kept", null]);
    });

    it("the history answers an earlier version's tags without the NULL", async () => {
      await withNullTags("history");
      await client.videoAnalysis.update.mutate({ videoId: "history", description: "v2", tags: ["new"] });
      const page = await client.videoAnalysis.history.query({ videoId: "history" });
      expect(page.items).toMatchObject([{ version: 1, tags: ["kept"] }]);
      const viaMcp = await tool("get_video_analysis_history", { videoId: "history" });
      expect(viaMcp.isError).toBe(false);
      expect(JSON.parse(viaMcp.text)).toMatchObject({ items: [{ version: 1, tags: ["kept"] }] });
    });

    it("export answers the analysis without the NULL", async () => {
      await withNullTags("export");
      const page = await client.videoAnalysis.export.query({});
      expect(page.items.find((item) => item.videoId === "export")).toMatchObject({ tags: ["kept"] });
    });

    it("tag counts leave the NULL out rather than count it as a tag", async () => {
      const { items } = await client.videoAnalysis.tags.query({});
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((item) => typeof item.tag === "string")).toBe(true);
      const viaMcp = await tool("list_memory_tags", {});
      expect(viaMcp.isError).toBe(false);
    });

    it("the change log (onChange, recentChanges, MCP recent_changes) answers the changes without the NULL", async () => {
      const { nextAfterId } = await client.videoAnalysis.recentChanges.query({ limit: 1 });
      const collector = await collectChanges(client, { videoIds: ["changes"] });
      try {
        await withNullTags("changes");
        await client.videoAnalysis.update.mutate({ videoId: "changes", description: "v2" });
        const events = await collector.until(3);
        expect(events.map((e) => e.data)).toMatchObject([
          { type: "created", tags: ["kept"] },
          { type: "updated", version: 1, tags: ["kept"] },
          { type: "updated", version: 2, tags: ["kept"], analysis: { tags: ["kept"] } },
        ]);
      } finally {
        collector.stop();
      }
      const recent = await client.videoAnalysis.recentChanges.query({ afterId: nextAfterId, videoIds: ["changes"] });
      expect(recent.items.map((item) => item.event)).toMatchObject([
        { tags: ["kept"] },
        { tags: ["kept"] },
        { version: 2, tags: ["kept"], analysis: { tags: ["kept"] } },
      ]);
      const viaMcp = await tool("recent_changes", { afterId: nextAfterId, videoIds: ["changes"] });
      expect(viaMcp.isError).toBe(false);
      expect(viaMcp.text).toContain('"kept"');
    });
  });
