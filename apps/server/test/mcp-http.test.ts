import { testTargets } from "@memory-mirror/db/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();
const TOOLS = [
  "get_video_analysis",
  "list_video_analyses",
  "create_video_analysis",
  "update_video_analysis",
  "delete_video_analysis",
  "upsert_video_analysis",
  "get_video_analyses",
  "get_video_analysis_history",
  "build_context",
  "search_memories",
  "list_memory_tags",
  "recent_changes",
];
const MAX_BODY_BYTES = 64 * 1024;

for (const target of targets) {
  describe.skipIf(!!target.skip)(`MCP over Streamable HTTP on the ${target.name} database`, () => {
    let server: TestServer;
    let client: Client;
    let transport: StreamableHTTPClientTransport;
    beforeAll(async () => {
      server = await startTestServer(target.name, { maxBodyBytes: MAX_BODY_BYTES });
      ({ client, transport } = await connect());
    });
    afterAll(async () => {
      await client?.close();
      await server?.close();
    });

    async function connect() {
      const transport = new StreamableHTTPClientTransport(new URL("/mcp", server.url));
      const client = new Client({ name: "mcp-http-test", version: "1.0.0" });
      await client.connect(transport);
      return { client, transport };
    }

    async function call(name: string, args: Record<string, unknown>, via = client) {
      const result = await via.callTool({ name, arguments: args });
      const [content] = result.content as { type: string; text: string }[];
      return { isError: result.isError === true, text: content?.text ?? "" };
    }

    /** A JSON-RPC POST as any HTTP client would send it, with no session and no initialisation before it. */
    function post(body: unknown) {
      return fetch(new URL("/mcp", server.url), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": LATEST_PROTOCOL_VERSION,
        },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    }

    it("lists the tools, each with a description and an object input schema", async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(TOOLS);
      for (const tool of tools) {
        expect(tool.description?.length, tool.name).toBeGreaterThan(60);
        expect(tool.inputSchema.type).toBe("object");
      }
      const byName = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema]));
      expect(byName.create_video_analysis?.required).toEqual(["videoId", "description"]);
      expect(byName.get_video_analysis?.required).toEqual(["videoId"]);
      expect(Object.keys(byName.list_video_analyses?.properties ?? {})).toEqual([
        "limit",
        "cursor",
        "tags",
        "recordedAfter",
        "recordedBefore",
        "metadata",
        "orderBy",
      ]);
    });

    it("every tool works: create, get, update, list, delete", async () => {
      const created = JSON.parse(
        (await call("create_video_analysis", { videoId: "http-1", description: "A cat." })).text,
      ) as { id: string; updatedAt: string };
      expect(created).toMatchObject({ videoId: "http-1", description: "A cat.", id: expect.any(String) as string });

      expect(JSON.parse((await call("get_video_analysis", { videoId: "http-1" })).text)).toEqual(created);

      const updated = JSON.parse(
        (await call("update_video_analysis", { videoId: "http-1", description: "A dog." })).text,
      ) as { updatedAt: string };
      expect(updated).toMatchObject({ id: created.id, description: "A dog." });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

      const page: unknown = JSON.parse((await call("list_video_analyses", { limit: 10 })).text);
      expect(page).toEqual({ items: [updated], nextCursor: null });

      expect(JSON.parse((await call("delete_video_analysis", { videoId: "http-1" })).text)).toEqual(updated);
      expect(JSON.parse((await call("list_video_analyses", {})).text)).toEqual({ items: [], nextCursor: null });
    });

    it("NOT_FOUND, CONFLICT and invalid input come back as tool errors with readable text", async () => {
      expect(await call("get_video_analysis", { videoId: "http-none" })).toEqual({
        isError: true,
        text: 'No video analysis for videoId "http-none"',
      });
      await call("create_video_analysis", { videoId: "http-dup", description: "first" });
      expect(await call("create_video_analysis", { videoId: "http-dup", description: "again" })).toEqual({
        isError: true,
        text: 'A video analysis for videoId "http-dup" already exists',
      });
      const invalid = await call("create_video_analysis", { videoId: "http-x", description: " " });
      expect(invalid.isError).toBe(true);
      expect(invalid.text).toContain("description must not be blank");
    });

    it("is stateless: no session id, and clients connected side by side each get their own answers", async () => {
      expect(transport.sessionId).toBeUndefined();
      const other = await connect();
      try {
        const [a, b] = await Promise.all([
          call("create_video_analysis", { videoId: "http-a", description: "from a" }),
          call("create_video_analysis", { videoId: "http-b", description: "from b" }, other.client),
        ]);
        expect((JSON.parse(a.text) as { description: string }).description).toBe("from a");
        expect((JSON.parse(b.text) as { description: string }).description).toBe("from b");
      } finally {
        await other.client.close();
      }
    });

    it("answers a single POST with JSON, without initialisation or a session", async () => {
      const params = { name: "get_video_analysis", arguments: { videoId: "http-a" } };
      const res = await post({ jsonrpc: "2.0", id: 7, method: "tools/call", params });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("mcp-session-id")).toBeNull();
      const body = (await res.json()) as { result: { content: [{ text: string }] } };
      expect(body).toMatchObject({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text" }] } });
      expect((JSON.parse(body.result.content[0].text) as { description: string }).description).toBe("from a");
    });

    it.each(["GET", "DELETE"])("%s /mcp is 405 (no stream or session to open or end)", async (method) => {
      const res = await fetch(new URL("/mcp", server.url), { method, headers: { accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(await res.json()).toMatchObject({
        jsonrpc: "2.0",
        error: { message: expect.stringContaining("use POST") as string },
      });
    });

    it("refuses a body over MAX_BODY_BYTES with 413, and stores nothing", async () => {
      // Within the description limit (50,000 characters) but over the body limit: 2 bytes per character.
      const description = "é".repeat(40_000);
      const params = { name: "create_video_analysis", arguments: { videoId: "http-big", description } };
      const res = await post({ jsonrpc: "2.0", id: 1, method: "tools/call", params });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({
        error: { message: expect.stringContaining(`${MAX_BODY_BYTES} bytes`) as string },
      });
      expect((await call("get_video_analysis", { videoId: "http-big" })).isError).toBe(true);
    });

    it("answers malformed JSON with a JSON-RPC parse error, not a server error", async () => {
      const res = await post("{not json");
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: -32700 } });
    });
  });
}
