/**
 * Regression tests for rate limits counted after the transport decoded the request: a tRPC batch whose commas are
 * percent-encoded and an MCP JSON-RPC batch count every call they hold; and failed authentications are limited per
 * client address without costing real keys their cache.
 */
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_FAILURES_PER_MINUTE } from "../src/guards.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("calls counted as the transport decodes them (embedded, 10 per minute per key)", () => {
  let server: TestServer;
  /** A fresh key: a budget of its own. */
  const bearer = async (name: string) => ({
    authorization: `Bearer ${await server.createKey({ name, space: "alice", scopes: ["read"] })}`,
  });
  beforeAll(async () => {
    server = await startTestServer("embedded", { rateLimitPerMinute: 10, auth: "required" });
  });
  afterAll(() => server?.close());

  it("counts a tRPC batch with percent-encoded commas call by call", async () => {
    const headers = await bearer("trpc");
    const batch = (n: number) => {
      const paths = Array.from({ length: n }, () => "videoAnalysis.list").join("%2C");
      const input = encodeURIComponent(
        JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))),
      );
      return fetch(`${server.url}/trpc/${paths}?batch=1&input=${input}`, { headers });
    };
    const first = await batch(6);
    expect(first.status).toBe(200);
    expect((await first.json()) as unknown[]).toHaveLength(6); // tRPC ran six calls…
    expect((await batch(6)).status).toBe(429); // …so six more go beyond ten
  });

  it("counts every message of an MCP JSON-RPC batch", async () => {
    const calls = Array.from({ length: 11 }, (_, id) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "list_video_analyses", arguments: {} },
    }));
    const answer = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { ...mcpHeaders, ...(await bearer("mcp")) },
      body: JSON.stringify(calls),
    });
    expect(answer.status).toBe(429);
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await answer.json()).toMatchObject({
      error: { message: expect.stringContaining("RATE_LIMIT_PER_MINUTE") as string },
    });
  });
});

describe("failed authentications (embedded, AUTH=required)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("embedded", { auth: "required", keyCacheMs: 60_000 });
  });
  afterAll(() => server?.close());

  it("are limited per client address; keys verified before keep working", async () => {
    const known = await server.createKey({ name: "known", space: "alice", scopes: ["read"] });
    const later = await server.createKey({ name: "later", space: "alice", scopes: ["read"] });
    const asKnown = createMemoryMirrorClient({ url: server.url, apiKey: known });
    expect((await asKnown.videoAnalysis.list.query()).items).toEqual([]);

    const guess = (i: number) =>
      fetch(`${server.url}/api/video-analysis/`, {
        headers: { authorization: `Bearer mm_${String(i).padStart(43, "g")}` },
      });
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) expect((await guess(i)).status).toBe(401);
    const refused = await guess(AUTH_FAILURES_PER_MINUTE);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({
      detail: expect.stringContaining("Too many failed authentications from this address") as string,
    });

    // A key verified before is still served from the cache; one never seen waits like any other unknown key.
    expect((await asKnown.videoAnalysis.list.query()).items).toEqual([]);
    const fresh = await fetch(`${server.url}/api/video-analysis/`, { headers: { authorization: `Bearer ${later}` } });
    expect(fresh.status).toBe(429);
  });
});
