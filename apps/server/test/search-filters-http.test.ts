/**
 * The recording-time and metadata filters of search and context over every transport of a real server: the typed
 * tRPC client, REST (`recorded_after`, `recorded_before`, `metadata` in the body; FastAPI's 422 naming the field)
 * and MCP's search_memories and build_context through the SDK's client.
 */
import { createMemoryMirrorClient, errorCode, type MemoryMirrorClient } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const targets = await testTargets();

const MEMORIES = [
  {
    videoId: "swim-2019",
    recordedAt: "2019-07-14T10:00:00+02:00",
    metadata: { place: "Lisbon" },
    tags: ["family"],
    description: "Leo swims his first length of the pool without armbands.",
  },
  {
    videoId: "swim-2023",
    recordedAt: "2023-08-02T16:00:00Z",
    metadata: { place: "Porto" },
    tags: ["family"],
    description: "Leo swims in the sea for the first time.",
  },
];

for (const target of targets) {
  describe.skipIf(!!target.skip)(`search and context filters over HTTP on the ${target.name} database`, () => {
    let server: TestServer;
    let client: MemoryMirrorClient;
    let mcp: Client;
    beforeAll(async () => {
      server = await startTestServer(target.name);
      client = createMemoryMirrorClient({ url: server.url });
      mcp = await connectMcp(server.url);
      await client.videoAnalysis.upsertMany.mutate({ items: MEMORIES });
    });
    afterAll(async () => {
      await mcp?.close();
      await server?.close();
    });

    async function post(path: string, json: unknown) {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(json),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    it("tRPC: search and context take the filters; hits carry recordedAt", async () => {
      const { items } = await client.videoAnalysis.search.query({
        query: "Leo swims",
        recordedBefore: "2020-01-01T00:00:00Z",
      });
      expect(items.map((i) => [i.analysis.videoId, i.analysis.recordedAt])).toEqual([
        ["swim-2019", "2019-07-14T10:00:00+02:00"],
      ]);
      const context = await client.videoAnalysis.context.query({ query: "Leo swims", metadata: { place: "Porto" } });
      expect(context.sources.map((s) => s.videoId)).toEqual(["swim-2023"]);
      const error = await client.videoAnalysis.search
        .query({ query: "Leo", recordedAfter: "2019-07-14" })
        .catch((e: unknown) => e);
      expect(errorCode(error)).toBe("BAD_REQUEST");
      expect((error as Error).message).toContain("recordedAfter must be an ISO-8601 date-time with an offset");
    });

    it("REST: recorded_after, recorded_before and metadata in the body of /api/search and /api/context", async () => {
      const search = await post("/api/search", { query: "Leo swims", recorded_after: "2020-01-01T00:00:00Z" });
      expect(search.status).toBe(200);
      expect(search.body.items).toEqual([
        expect.objectContaining({
          analysis: expect.objectContaining({ video_id: "swim-2023", recorded_at: "2023-08-02T16:00:00Z" }) as object,
        }),
      ]);
      const context = await post("/api/context", {
        query: "Leo swims",
        metadata: { place: "Lisbon" },
        recorded_before: "2019-07-15T00:00:00Z",
      });
      expect(context.body.sources).toEqual([expect.objectContaining({ video_id: "swim-2019" })]);
      const bad = await post("/api/search", { query: "Leo", metadata: ["Lisbon"] });
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toEqual([
        expect.objectContaining({ loc: ["body", "metadata"], msg: expect.stringContaining("JSON object") as string }),
      ]);
      const empty = await post("/api/context", {
        query: "Leo",
        recorded_after: "2021-01-01T00:00:00Z",
        recorded_before: "2020-01-01T00:00:00Z",
      });
      expect(empty.status).toBe(422);
      expect(JSON.stringify(empty.body)).toContain("must be later than");
    });

    const NOW = "2024-01-10T12:00:00Z";

    it("tRPC: when is read against now and echoed; an unreadable phrase is a BAD_REQUEST naming it", async () => {
      const search = await client.videoAnalysis.search.query({ query: "Leo swims", when: "last summer", now: NOW });
      expect(search.items.map((i) => i.analysis.videoId)).toEqual(["swim-2023"]);
      expect(search.when).toEqual({ phrase: "last summer", from: "2023-06-01T00:00:00Z", to: "2023-09-01T00:00:00Z" });
      const context = await client.videoAnalysis.context.query({ query: "Leo swims", when: "in 2019", now: NOW });
      expect(context.sources.map((s) => s.videoId)).toEqual(["swim-2019"]);
      expect(context.when?.from).toBe("2019-01-01T00:00:00Z");
      const error = await client.videoAnalysis.search
        .query({ query: "Leo", when: "when he was little" })
        .catch((e: unknown) => e);
      expect(errorCode(error)).toBe("BAD_REQUEST");
      expect((error as Error).message).toContain('"when he was little" is not a time I can read');
    });

    it("REST: when and now in the body; the range read comes back; an unreadable phrase is a 422 naming it", async () => {
      const search = await post("/api/search", { query: "Leo swims", when: "July 2019", now: NOW });
      expect(search.status).toBe(200);
      expect(search.body.when).toEqual({
        phrase: "July 2019",
        from: "2019-07-01T00:00:00Z",
        to: "2019-08-01T00:00:00Z",
      });
      expect((search.body.items as unknown[]).length).toBe(1);
      const context = await post("/api/context", { query: "Leo swims", when: "summer 2023", now: NOW });
      expect(context.body).toMatchObject({ sources: [{ video_id: "swim-2023" }], when: { phrase: "summer 2023" } });
      const bad = await post("/api/context", { query: "Leo", when: "someday" });
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toEqual([
        expect.objectContaining({ msg: expect.stringContaining('"someday" is not a time I can read') as string }),
      ]);
      const lone = await post("/api/search", { query: "Leo", now: NOW });
      expect(lone.status).toBe(422);
      expect(lone.body.detail).toEqual([
        expect.objectContaining({ loc: ["body", "now"], msg: expect.stringContaining("only with when") as string }),
      ]);
    });

    it("REST: input the service refuses is a 422 whose loc is the field's REST path, in the body or the query", async () => {
      const detailOf = async (response: Response) => ({
        status: response.status,
        detail: ((await response.json()) as { detail: unknown }).detail,
      });
      const refused = (loc: (string | number)[], msg: string) => ({
        status: 422,
        detail: [{ loc, msg: expect.stringContaining(msg) as string, type: "value_error" }],
      });
      const send = (path: string, json: unknown, headers: Record<string, string> = {}) =>
        fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(json),
        });
      const backwards = { recorded_after: "2021-01-01T00:00:00Z", recorded_before: "2020-01-01T00:00:00Z" };
      expect(await detailOf(await send("/api/context", { query: "Leo", ...backwards }))).toEqual(
        refused(["body", "recorded_before"], "recorded_before must be later than recorded_after"),
      );
      expect(await detailOf(await send("/api/search", { query: "Leo", when: "someday" }))).toEqual(
        refused(["body", "when"], '"someday" is not a time I can read'),
      );
      const list = (query: string) => fetch(`${server.url}/api/video-analysis/?${query}`);
      expect(await detailOf(await list(new URLSearchParams(backwards).toString()))).toEqual(
        refused(["query", "recorded_before"], "recorded_before must be later than recorded_after"),
      );
      const byRecording = (await (await list("order_by=recorded_at&limit=1")).json()) as { next_cursor: string };
      expect(await detailOf(await list(`cursor=${encodeURIComponent(byRecording.next_cursor)}`))).toEqual(
        refused(["query", "cursor"], "cursor comes from a list ordered by recorded_at"),
      );
      // A path into the body: a query vector of another dimension than the model's stored ones.
      const dims = { "x-mm-space": "dims" };
      const stored = {
        video_id: "vec",
        description: "A red kite.",
        embedding: { model: "m", values: [0.1, 0.2, 0.3] },
      };
      expect((await send("/api/video-analysis/", stored, dims)).status).toBe(201);
      expect(
        await detailOf(await send("/api/search", { embedding: { model: "m", values: [0.1, 0.2] } }, dims)),
      ).toEqual(refused(["body", "embedding", "values"], "embedding has 2 dimensions"));
    });

    it("MCP: when on both tools; each answer starts with the period it was read as", async () => {
      const search = await mcp.callTool({
        name: "search_memories",
        arguments: { query: "Leo swims", when: "in 2019", now: NOW },
      });
      const [found] = search.content as { type: string; text: string }[];
      expect(found?.text).toMatch(/^Recorded 2019-01-01 to 2019-12-31 \("in 2019"\)\.\n\n1 memory, best first:/);
      expect(search.structuredContent).toMatchObject({ when: { phrase: "in 2019" } });
      const context = await mcp.callTool({
        name: "build_context",
        arguments: { query: "Leo swims", when: "last summer", now: NOW },
      });
      const [text] = context.content as { type: string; text: string }[];
      expect(text?.text).toMatch(
        /^Recorded 2023-06-01 to 2023-08-31 \("last summer"\)\.\n\n## 2023-08-02 · swim-2023 · family\nLeo swims/,
      );
      const bad = await mcp.callTool({ name: "build_context", arguments: { query: "Leo", when: "someday" } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain('\\"someday\\" is not a time I can read');
    });

    it("MCP: search_memories and build_context take the filters", async () => {
      const search = await mcp.callTool({
        name: "search_memories",
        arguments: { query: "Leo swims", recordedAfter: "2020-01-01T00:00:00Z" },
      });
      expect(search.isError).not.toBe(true);
      expect((search.structuredContent as { items: { videoId: string }[] }).items.map((i) => i.videoId)).toEqual([
        "swim-2023",
      ]);
      const context = await mcp.callTool({
        name: "build_context",
        arguments: { query: "Leo swims", metadata: { place: "Lisbon" } },
      });
      const [content] = context.content as { type: string; text: string }[];
      expect(content?.text).toContain("swim-2019");
      expect(content?.text).not.toContain("swim-2023");
    });
  });
}
