/**
 * Regression tests for the hostile inputs a fuzzing pass over tRPC, REST and MCP found answered 500: an
 * embedding.model holding a lone surrogate (the bulk write sends it inside JSON, whose escape PostgreSQL refuses), and
 * a `when` reaching past the year 9999 (its bound, "+010000-01-01", is no date PostgreSQL reads). Each is now a 4xx
 * naming the field on every transport; behind the schemas, the database's own refusals of such values (real
 * statements on both databases) are a 422 too, never a 500. And from the property test over every input
 * (any-input.test.ts): an MCP tools/call whose arguments are not an object was a JSON-RPC internal error (-32603).
 */
import { databaseErrorKind } from "@memory-mirror/db";
import { testTargets } from "@memory-mirror/db/testing";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const targets = await testTargets();

const LONE_MODEL = "embedding.model must be well-formed Unicode (it holds a lone surrogate)";
const PAST_9999 = (phrase: string) =>
  `when: ${JSON.stringify(phrase)} reaches past the year 9999, where no recording is dated`;

for (const target of targets) {
  describe.skipIf(!!target.skip)(`hostile inputs on the ${target.name} database`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name);
      expect((await post("/trpc/videoAnalysis.create", { videoId: "seed", description: "A walk." })).status).toBe(200);
    });
    afterAll(() => server?.close());

    async function post(path: string, json: unknown, method = "POST") {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify(json),
      });
      return { status: response.status, text: await response.text() };
    }
    /** An MCP tool call's answer: the tool's error text (MCP answers a refused input inside a 200). */
    async function tool(name: string, args: unknown) {
      const { status, text } = await post("/mcp", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name, arguments: args },
      });
      expect(status).toBe(200);
      const body = JSON.parse(text.startsWith("event:") ? text.split("data: ")[1]! : text) as {
        result: { isError?: boolean; content: { text: string }[] };
      };
      expect(body.result.isError).toBe(true);
      return body.result.content.map((c) => c.text).join("\n");
    }

    const lone = { model: "clip\ud800", values: [0.1, 0.2] };

    it("an embedding.model with a lone surrogate is refused by every write, never a 500", async () => {
      for (const [path, input] of [
        ["/trpc/videoAnalysis.create", { videoId: "new", description: "d", embedding: lone }],
        ["/trpc/videoAnalysis.upsert", { videoId: "seed", description: "d", embedding: lone }],
        ["/trpc/videoAnalysis.update", { videoId: "seed", description: "d", embedding: lone }],
        ["/trpc/videoAnalysis.upsertMany", { items: [{ videoId: "seed", description: "d", embedding: lone }] }],
      ] as const) {
        const { status, text } = await post(path, input);
        expect({ path, status }).toEqual({ path, status: 400 });
        expect(text).toContain(LONE_MODEL);
      }
      for (const [method, path] of [
        ["POST", "/api/video-analysis/"],
        ["PUT", "/api/video-analysis/seed"],
      ] as const) {
        const { status, text } = await post(path, { video_id: "new", description: "d", embedding: lone }, method);
        expect({ path, status }).toEqual({ path, status: 422 });
        expect(text).toContain(LONE_MODEL);
      }
      expect(await tool("create_video_analysis", { videoId: "new", description: "d", embedding: lone })).toContain(
        LONE_MODEL,
      );
      // Nothing was stored with a U+FFFD in its place.
      expect((await fetch(`${server.url}/api/video-analysis/new`)).status).toBe(404);
    });

    it("a when in the years 1–99 means that year, not 1901–1999 (Date's two-digit rule); the year 0 is refused", async () => {
      const created = await post("/trpc/videoAnalysis.create", {
        videoId: "in-1901",
        description: "A walk in 1901.",
        recordedAt: "1901-06-01T12:00:00Z",
      });
      expect(created.status).toBe(200);
      const cases = [
        ["in 0001", "0001-01-01T00:00:00Z", "0002-01-01T00:00:00Z"],
        ["0001-06-01", "0001-06-01T00:00:00Z", "0001-06-02T00:00:00Z"],
        ["summer 0001", "0001-06-01T00:00:00Z", "0001-09-01T00:00:00Z"],
        ["in 0099", "0099-01-01T00:00:00Z", "0100-01-01T00:00:00Z"],
      ];
      for (const [phrase, from, to] of cases) {
        const { status, text } = await post("/api/search", {
          query: "walk",
          when: phrase,
          now: "2026-12-06T12:00:00Z",
        });
        expect({ phrase, status }).toEqual({ phrase, status: 200 });
        const body = JSON.parse(text) as { items: unknown[]; when: { from: string; to: string } };
        expect({ phrase, ...body.when, found: body.items.length }).toEqual({ phrase, from, to, found: 0 });
      }
      // East of UTC the year 1 starts in the year 0 of UTC, which PostgreSQL cannot read: refused as the year 0 is.
      const east = await post("/api/search", { query: "walk", when: "in 0001", now: "2026-12-06T12:00:00+02:00" });
      expect(east.status).toBe(422);
      expect(east.text).toContain("reaches before the year 1 (UTC), where no recording is dated");
      const refused = `when: \\"in 0000\\" reaches before the year 1 (UTC), where no recording is dated`;
      const trpc = await fetch(
        `${server.url}/trpc/videoAnalysis.search?input=${encodeURIComponent(JSON.stringify({ query: "walk", when: "in 0000" }))}`,
      );
      expect(trpc.status).toBe(400);
      expect(await trpc.text()).toContain(refused);
      const rest = await post("/api/context", { query: "walk", when: "in 0000" });
      expect(rest.status).toBe(422);
      expect(rest.text).toContain(refused);
    });

    it("a when past the year 9999 is refused by search and context, never a 500", async () => {
      for (const phrase of ["in 9999", "December 9999", "9999-12-31T23:59:59Z"]) {
        for (const path of ["/trpc/videoAnalysis.search", "/trpc/videoAnalysis.context"]) {
          const response = await fetch(
            `${server.url}${path}?input=${encodeURIComponent(JSON.stringify({ query: "walk", when: phrase }))}`,
          );
          expect({ path, phrase, status: response.status }).toEqual({ path, phrase, status: 400 });
          expect(await response.text()).toContain(JSON.stringify(PAST_9999(phrase)).slice(1, -1));
        }
        for (const path of ["/api/search", "/api/context"]) {
          const { status, text } = await post(path, { query: "walk", when: phrase });
          expect({ path, phrase, status }).toEqual({ path, phrase, status: 422 });
          expect(text).toContain(JSON.stringify(PAST_9999(phrase)).slice(1, -1));
        }
      }
      expect(await tool("search_memories", { query: "walk", when: "in 9999" })).toContain(PAST_9999("in 9999"));
      // The last year that can be written still works.
      const { status } = await post("/api/search", { query: "walk", when: "in 9998" });
      expect(status).toBe(200);
    });

    it("a tools/call whose arguments are not an object is invalid params (-32602) naming them, not an internal error", async () => {
      const mcp = await connectMcp(server.url);
      try {
        for (const args of [null, [], "videoId", 7]) {
          // The SDK's client sends what it is given; its types stand in the way of nothing at run time.
          const error = await mcp
            .callTool({ name: "get_video_analysis", arguments: args as unknown as Record<string, unknown> })
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          expect(error).toBeInstanceOf(McpError);
          expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
          expect((error as McpError).message).toContain(
            "Invalid params for tools/call: params.arguments must be an object of the tool's named arguments",
          );
        }
        // In a batch, that call alone is refused; the others are answered, each under its own id.
        const batch = await post("/mcp", [
          { jsonrpc: "2.0", id: 1, method: "tools/list" },
          { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_video_analysis", arguments: null } },
        ]);
        expect(batch.status).toBe(200);
        const answers = JSON.parse(batch.text) as {
          id: number;
          result?: unknown;
          error?: { code: number; message: string };
        }[];
        const byId = new Map(answers.map((answer) => [answer.id, answer]));
        expect(answers).toHaveLength(2);
        expect(byId.get(1)?.result).toHaveProperty("tools");
        expect(byId.get(2)?.error?.code).toBe(ErrorCode.InvalidParams);
        expect(byId.get(2)?.error?.message).toMatch(/^Invalid params for tools\/call: params\.arguments must/);
        // What the transport refuses first (not JSON-RPC 2.0, not JSON) is still refused by it, with a 4xx.
        const bad = { id: 3, method: "tools/call", params: { name: "get_video_analysis", arguments: null } };
        const notTwo = await post("/mcp", { jsonrpc: "1.0", ...bad });
        expect(notTwo.status).toBe(400);
        expect(JSON.parse(notTwo.text)).not.toMatchObject({ error: { code: ErrorCode.InvalidParams } });
        const notJson = await fetch(`${server.url}/mcp`, {
          method: "POST",
          headers: { "content-type": "text/plain", accept: "application/json, text/event-stream" },
          body: JSON.stringify({ jsonrpc: "2.0", ...bad }),
        });
        expect(notJson.status).toBe(415);
        // Well-formed arguments still reach the tool.
        const found = await mcp.callTool({ name: "get_video_analysis", arguments: { videoId: "seed" } });
        expect(found.isError).toBeFalsy();
      } finally {
        await mcp.close();
      }
    });

    it("the database's own refusals of unreadable values are value_malformed (a 422), from real statements", async () => {
      const prisma = server.server.database.prisma;
      const kindOf = (sql: string) => prisma.$queryRawUnsafe(sql).then(() => "no error", databaseErrorKind);
      // 22P02: a lone surrogate's escape in json, as the bulk write's json_to_recordset met it.
      expect(await kindOf(`SELECT * FROM json_to_recordset('[{"a":"\\ud800"}]'::json) AS x(a text)`)).toBe(
        "value_malformed",
      );
      // 22P05: NUL in jsonb.
      expect(await kindOf(`SELECT '{"a":"\\u0000"}'::jsonb`)).toBe("value_malformed");
      // 22009 / 22007: a date-time PostgreSQL cannot read.
      expect(await kindOf(`SELECT '+010000-01-01T00:00:00Z'::timestamptz`)).toBe("value_malformed");
      expect(await kindOf(`SELECT 'no date at all'::timestamptz`)).toBe("value_malformed");
    });
  });
}
