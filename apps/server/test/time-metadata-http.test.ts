/**
 * recordedAt and metadata over every transport of a real server: the typed tRPC client, REST (`recorded_at`,
 * `metadata`, FastAPI's 422 naming the field) and MCP's tools through the SDK's client.
 */
import { createMemoryMirrorClient, errorCode, type MemoryMirrorClient } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const targets = await testTargets();

const RECORDED = "2019-07-14T10:00:00+02:00";
const METADATA = { place: "Lisbon", people: ["Leo", "Mia"], camera: { make: "Pixel", fps: 60 } };

for (const target of targets) {
  describe.skipIf(!!target.skip)(`recordedAt and metadata over HTTP on the ${target.name} database`, () => {
    let server: TestServer;
    let client: MemoryMirrorClient;
    let mcp: Client;
    beforeAll(async () => {
      server = await startTestServer(target.name, { maxBodyBytes: 64 * 1024 });
      client = createMemoryMirrorClient({ url: server.url });
      mcp = await connectMcp(server.url);
    });
    afterAll(async () => {
      await mcp?.close();
      await server?.close();
    });

    async function rest(method: string, path: string, json?: unknown) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: json === undefined ? {} : { "content-type": "application/json" },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
    }

    it("tRPC: the typed client sends and gets back both, through create, update and upsert", async () => {
      const created = await client.videoAnalysis.create.mutate({
        videoId: "trpc-1",
        description: "d",
        recordedAt: RECORDED,
        metadata: METADATA,
      });
      expect(created).toMatchObject({ recordedAt: RECORDED, metadata: METADATA });
      expect(await client.videoAnalysis.byVideoId.query({ videoId: "trpc-1" })).toEqual(created);
      const updated = await client.videoAnalysis.update.mutate({ videoId: "trpc-1", recordedAt: null });
      expect(updated).toMatchObject({ recordedAt: null, metadata: METADATA, version: 2 });
      const upserted = await client.videoAnalysis.upsert.mutate({
        videoId: "trpc-1",
        description: "d",
        recordedAt: "2020-01-01T00:00:00-05:00",
      });
      expect(upserted.analysis.recordedAt).toBe("2020-01-01T00:00:00-05:00");
      const history = await client.videoAnalysis.history.query({ videoId: "trpc-1" });
      expect(history.items.map((i) => i.recordedAt)).toEqual([null, RECORDED]);
    });

    it("tRPC: a recording from before 1900 is a BAD_REQUEST saying so", async () => {
      const error = await client.videoAnalysis.create
        .mutate({ videoId: "trpc-old", description: "d", recordedAt: "1850-01-01T00:00:00Z" })
        .catch((e: unknown) => e);
      expect(errorCode(error)).toBe("BAD_REQUEST");
      expect((error as Error).message).toContain("recordedAt must not be before 1900");
    });

    it("REST: recorded_at and metadata on create, get, update, bulk upsert and history", async () => {
      const created = await rest("POST", "/api/video-analysis/", {
        video_id: "rest-1",
        description: "d",
        recorded_at: RECORDED,
        metadata: METADATA,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ recorded_at: RECORDED, metadata: METADATA });
      expect((await rest("GET", "/api/video-analysis/rest-1")).body).toEqual(created.body);
      const updated = await rest("PUT", "/api/video-analysis/rest-1", {
        description: "d",
        recorded_at: "2019-07-14T08:00:00Z",
        metadata: null,
      });
      expect(updated.body).toMatchObject({ recorded_at: "2019-07-14T08:00:00Z", metadata: null, version: 2 });
      const bulk = await rest("POST", "/api/bulk/upsert", {
        items: [{ video_id: "rest-2", description: "d", recorded_at: "2001-01-01T00:00:00+09:00", metadata: { n: 2 } }],
      });
      expect(bulk.body).toEqual({ created: 1, updated: 0, unchanged: 0 });
      expect((await rest("GET", "/api/video-analysis/rest-2")).body).toMatchObject({
        recorded_at: "2001-01-01T00:00:00+09:00",
        metadata: { n: 2 },
      });
      const history = await rest("GET", "/api/video-analysis/rest-1/history");
      expect(history.body.versions).toEqual([
        expect.objectContaining({ version: 1, recorded_at: RECORDED, metadata: METADATA }),
      ]);
    });

    it("REST: a bad recorded_at or metadata is a 422 naming the field and the reason", async () => {
      const future = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000).toISOString();
      const early = await rest("POST", "/api/video-analysis/", {
        video_id: "r",
        description: "d",
        recorded_at: future,
      });
      expect(early.status).toBe(422);
      expect(early.body.detail).toEqual([
        expect.objectContaining({
          loc: ["body", "recorded_at"],
          msg: expect.stringContaining("recorded_at must not be more than a day in the future") as string,
        }),
      ]);
      const deep = await rest("POST", "/api/video-analysis/", {
        video_id: "r",
        description: "d",
        metadata: { a: { b: { c: { d: { e: 1 } } } } },
      });
      expect(deep.status).toBe(422);
      expect(deep.body.detail).toEqual([
        expect.objectContaining({
          loc: ["body", "metadata"],
          msg: expect.stringContaining("at most 4 levels deep") as string,
        }),
      ]);
    });

    it("MCP: create_video_analysis stores both and get_video_analysis returns them", async () => {
      const created = await mcp.callTool({
        name: "create_video_analysis",
        arguments: { videoId: "mcp-1", description: "d", recordedAt: RECORDED, metadata: METADATA },
      });
      expect(created.isError).not.toBe(true);
      const got = await mcp.callTool({ name: "get_video_analysis", arguments: { videoId: "mcp-1" } });
      const [content] = got.content as { type: string; text: string }[];
      expect(JSON.parse(content?.text ?? "null")).toMatchObject({ recordedAt: RECORDED, metadata: METADATA });
    });

    it("MCP: a bad recordedAt is a tool error naming the reason", async () => {
      const result = await mcp.callTool({
        name: "create_video_analysis",
        arguments: { videoId: "mcp-bad", description: "d", recordedAt: "2019-07-14" },
      });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain("with an offset");
    });
  });
}
