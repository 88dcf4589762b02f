/**
 * Regression tests for MCP tool errors that pass (the database busy, a write collision, a rate limit): they came
 * back as tool errors with no word of when to retry. Now the text ends in "retry in N s" and the result carries
 * `_meta.retryAfterSeconds`, for the model and for the program hosting it, from every tool alike (toolResult).
 * Through the MCP SDK's client over the server's /mcp. PostgreSQL only: a lock held from another connection and one
 * pooled connection (what makes the database busy here, deterministically) need a server.
 *
 * /mcp's own rate limit refuses the HTTP request before any tool runs (a 429 with Retry-After, for every HTTP client).
 * The SDK's client (1.32) reads no header of a refused POST and retries nothing (its issue 1892): callTool rejects
 * with a StreamableHTTPError whose message holds the body's text. So the body carries the hint: its message ends in
 * "retry in N s" and its error.data holds retryAfterSeconds, which this file checks as the SDK client receives them.
 */
import { Locker, testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

describe.skipIf(!postgres || !!postgres.skip)("MCP tool errors that say when to retry (postgres)", () => {
  let server: TestServer;
  let locker: Locker;
  let mcp: Client;
  beforeAll(async () => {
    // One pooled connection: a call waits for another's. statement_timeout is 4.5 s of these 5: the margin of 0.5 s
    // lets PostgreSQL's own stop of the write arrive first on a loaded machine (as in database-time-bounds.test.ts).
    server = await startTestServer(
      "postgres",
      { auth: "off" },
      { env: { DATABASE_TIMEOUT_MS: "5000", DATABASE_POOL_SIZE: "1", KEY_CONCURRENCY: "10" } },
    );
    locker = await Locker.open(server.databaseUrl);
    mcp = await connectMcp(server.url);
  });
  afterAll(async () => {
    await mcp?.close();
    await locker?.end();
    await server?.close();
  });

  it("a search that found the database busy says retry in 1 s, in its text and its _meta", async () => {
    const call = (name: string, args: Record<string, unknown>) => mcp.callTool({ name, arguments: args });
    await call("create_video_analysis", { videoId: "walk", description: "A long walk by the sea at dawn." });
    const locks = [
      `SELECT 1 FROM "VideoAnalysis" WHERE "videoId" = 'walk' FOR UPDATE`,
      `LOCK TABLE "SearchTerm" IN ACCESS EXCLUSIVE MODE`,
    ];
    const result = await locker.whileLocked(locks, async () => {
      // The write takes the pool's one connection and waits on the row until PostgreSQL stops it...
      const write = call("update_video_analysis", { videoId: "walk", description: "Rewritten." });
      await locker.untilWaiting(1);
      // ...while the search waits for that connection, then has less time left than the server's own bound.
      const search = await call("search_memories", { query: "wlak sae dwan" });
      const written = await write;
      // Stopped by PostgreSQL: no refusal that passes by itself, so no hint.
      expect(written.isError).toBe(true);
      expect(written._meta).toBeUndefined();
      return search;
    });
    expect(result.isError).toBe(true);
    expect(result._meta).toEqual({ retryAfterSeconds: 1 });
    const [content] = result.content as { text: string }[];
    // The figure stands in for the message's own vague "try again in a moment": the advice reads once.
    expect(content?.text).toMatch(/^The database is busy: .* before the answer came; retry in 1 s$/);
    // The same tool answers once the locks are gone.
    expect((await call("search_memories", { query: "walk" })).isError).toBeFalsy();
  });
});

describe("/mcp's rate limit as the MCP SDK's client receives it", () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it("a tools/call over the limit rejects with a 429 transport error whose message says retry in N s", async () => {
    // Connecting is two calls (initialize, then the initialized notification); the third is the last allowed.
    server = await startTestServer("embedded", { auth: "off", rateLimitPerMinute: 3 });
    const mcp = await connectMcp(server.url);
    try {
      expect((await mcp.callTool({ name: "list_memory_tags", arguments: {} })).isError).toBeFalsy();
      const refused = await mcp.callTool({ name: "list_memory_tags", arguments: {} }).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Not a tool result: the model reads only what its host makes of this error, whose message is all it carries.
      expect(refused).toBeInstanceOf(StreamableHTTPError);
      const { code, message } = refused as StreamableHTTPError;
      expect(code).toBe(429);
      const [, body] = /^Streamable HTTP error: Error POSTing to endpoint: (.*)$/s.exec(message) ?? [];
      const answer = JSON.parse(body ?? "null") as { error: { message: string; data: { retryAfterSeconds: number } } };
      expect(answer.error.message).toMatch(
        /^Rate limit exceeded: 3 calls per minute \(RATE_LIMIT_PER_MINUTE\); retry in \d+ s$/,
      );
      const seconds = Number(/retry in (\d+) s$/.exec(answer.error.message)?.[1]);
      expect(answer.error.data).toEqual({ retryAfterSeconds: seconds });
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(60);
    } finally {
      await mcp.close();
    }
    // A plain HTTP client still gets the status and the header it relies on, with the same figure in the body.
    const plain = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(plain.status).toBe(429);
    const retryAfter = Number(plain.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(await plain.json()).toMatchObject({ error: { code: -32000, data: { retryAfterSeconds: retryAfter } } });
  });
});
