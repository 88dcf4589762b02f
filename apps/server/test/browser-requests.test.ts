/**
 * Regression tests for DNS rebinding and cross-site requests: with AUTH=off only loopback names (and ALLOWED_HOSTS)
 * are answered, a browser page from an origin CORS_ORIGINS does not list is refused before anything runs, and
 * nobody mints keys anonymously.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { rawRequest } from "./raw-request.ts";

const listInput = encodeURIComponent(JSON.stringify({}));

describe("with AUTH=off (embedded)", () => {
  let server: TestServer;
  let port: string;
  beforeAll(async () => {
    server = await startTestServer("embedded", {
      auth: "off",
      allowedHosts: ["memory.internal"],
      corsOrigins: ["https://app.example"],
    });
    port = new URL(server.url).port;
  });
  afterAll(() => server?.close());

  const get = (path: string, headers: Record<string, string>) => rawRequest(`${server.url}${path}`, { headers });

  it("refuses a rebound name in Host on every transport, before any call runs", async () => {
    const create = await rawRequest(`${server.url}/trpc/videoAnalysis.create`, {
      method: "POST",
      headers: { host: `attacker.example:${port}`, "content-type": "application/json" },
      body: JSON.stringify({ videoId: "rebound", description: "written by a rebound page" }),
    });
    expect(create.status).toBe(403);
    expect(JSON.parse(create.text)).toMatchObject({
      error: { message: expect.stringContaining('Host "attacker.example:') as string },
    });
    const rest = await get("/api/video-analysis/", { host: `attacker.example:${port}`, "x-mm-space": "alice" });
    expect(rest.status).toBe(403);
    expect(JSON.parse(rest.text)).toEqual({ detail: expect.stringContaining("ALLOWED_HOSTS") as string });
    const mcp = await rawRequest(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        host: "attacker.example",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(mcp.status).toBe(403);
    const client = createMemoryMirrorClient({ url: server.url });
    expect(errorCode(await client.videoAnalysis.byVideoId.query({ videoId: "rebound" }).catch((e: unknown) => e))).toBe(
      "NOT_FOUND",
    );
  });

  it("answers loopback names in any spelling, and the names in ALLOWED_HOSTS", async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      "LOCALHOST.",
      `[::1]:${port}`,
      "127.0.0.2",
      "mm.localhost",
    ]) {
      const answer = await get(`/trpc/videoAnalysis.list?input=${listInput}`, { host });
      expect(answer.status, `${host}: ${answer.text}`).toBe(200);
    }
    expect((await get("/api/video-analysis/", { host: `memory.internal:${port}` })).status).toBe(200);
    expect((await get("/api/video-analysis/", { host: "memory.internal.evil.example" })).status).toBe(403);
    // Liveness stays open to any name (orchestrators probe by address).
    expect((await get("/healthz", { host: "10.1.2.3" })).status).toBe(200);
  });

  it("refuses browser requests from origins CORS_ORIGINS does not list, simple requests included", async () => {
    // A form's POST is a "simple" request: no preflight, so CORS alone would let it run.
    const form = await rawRequest(`${server.url}/trpc/videoAnalysis.create`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
      body: JSON.stringify({ videoId: "csrf", description: "written by another site" }),
    });
    expect(form.status).toBe(403);
    expect(JSON.parse(form.text)).toMatchObject({
      error: { message: expect.stringContaining("CORS_ORIGINS") as string },
    });
    const noOrigin = await get("/api/video-analysis/", { "sec-fetch-site": "cross-site" });
    expect(noOrigin.status).toBe(403);
    const nullOrigin = await get("/api/video-analysis/", { origin: "null" });
    expect(nullOrigin.status).toBe(403);
    // The listed origin and the server's own pages (same origin) are answered.
    expect((await get("/api/video-analysis/", { origin: "https://app.example" })).status).toBe(200);
    expect((await get("/api/video-analysis/", { origin: server.url, "sec-fetch-site": "same-origin" })).status).toBe(
      200,
    );
    const client = createMemoryMirrorClient({ url: server.url });
    expect(errorCode(await client.videoAnalysis.byVideoId.query({ videoId: "csrf" }).catch((e: unknown) => e))).toBe(
      "NOT_FOUND",
    );
  });

  it("never mints, lists or revokes keys for the anonymous caller", async () => {
    const client = createMemoryMirrorClient({ url: server.url });
    const minted = await client.keys.create
      .mutate({ name: "rebound-admin", space: "*", scopes: ["read", "write", "admin"] })
      .catch((e: unknown) => e);
    expect(errorCode(minted)).toBe("FORBIDDEN");
    expect((minted as Error).message).toMatch(/pnpm keys:create --admin/);
    expect(errorCode(await client.keys.list.query().catch((e: unknown) => e))).toBe("FORBIDDEN");
    const count = await server.server.database.prisma.apiKey.count();
    expect(count).toBe(0);
    // A real admin key still manages keys, even with AUTH=off.
    const admin = await server.createKey({ name: "admin", space: "*", scopes: ["read", "write", "admin"] });
    const asAdmin = createMemoryMirrorClient({ url: server.url, apiKey: admin });
    expect((await asAdmin.keys.list.query()).items.map((k) => k.name)).toEqual(["admin"]);
  });
});

describe("ALLOWED_HOSTS and loopback HOST values", () => {
  it("reads ALLOWED_HOSTS as host names and refuses anything else", () => {
    expect(loadConfig({ ALLOWED_HOSTS: "Memory.Internal, mm.example.com" }).allowedHosts).toEqual([
      "memory.internal",
      "mm.example.com",
    ]);
    expect(() => loadConfig({ ALLOWED_HOSTS: "https://mm.example.com" })).toThrow(/not a host name/);
  });

  it("treats every loopback spelling of HOST as loopback (no open-to-the-network warning)", () => {
    for (const host of ["::ffff:127.0.0.1", "127.0.0.2", "0:0:0:0:0:0:0:1", "[::1]", "localhost"]) {
      expect(loadConfig({ HOST: host }), host).toMatchObject({ auth: "off", authOffExposed: false });
    }
    expect(loadConfig({ HOST: "::ffff:10.0.0.1" }).auth).toBe("required");
  });
});
