/**
 * Access over HTTP on a real server: keys and scopes on every transport (tRPC, REST, MCP), spaces, rate limits,
 * bounded answers, CORS, security headers, request ids and malformed text. The core's own isolation property test
 * lives in packages/api; here the same promises are checked through the wire.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const targets = await testTargets();

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const trpcGet = (server: TestServer, path: string, input: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

const mcpClient = (server: TestServer, headers: Record<string, string>) => connectMcp(server.url, headers);
const toolText = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text: string }[]).map((c) => c.text).join("");

describe("AUTH default", () => {
  it("is off only on loopback; any other address requires keys unless AUTH=off says otherwise", () => {
    expect(loadConfig({}).auth).toBe("off");
    expect(loadConfig({ HOST: "::1" }).auth).toBe("off");
    expect(loadConfig({ HOST: "localhost" }).auth).toBe("off");
    expect(loadConfig({ HOST: "0.0.0.0" })).toMatchObject({ auth: "required", authOffExposed: false });
    expect(loadConfig({ HOST: "0.0.0.0", AUTH: "off" })).toMatchObject({ auth: "off", authOffExposed: true });
    expect(loadConfig({ AUTH: "required" }).auth).toBe("required");
    expect(() => loadConfig({ AUTH: "maybe" })).toThrow(/AUTH must be "required" or "off"/);
    expect(() => loadConfig({ CORS_ORIGINS: "https://ok.example,not an origin" })).toThrow(/not an origin/);
  });
});

for (const target of targets) {
  describe.skipIf(!!target.skip)(`with AUTH=required on the ${target.name} database`, () => {
    let server: TestServer;
    let admin: string;
    let alice: string;
    let aliceReader: string;
    let bob: string;

    beforeAll(async () => {
      server = await startTestServer(target.name, { auth: "required", keyCacheMs: 100 });
      admin = await server.createKey({ name: "admin", space: "*", scopes: ["read", "write", "admin"] });
      alice = await server.createKey({ name: "alice", space: "alice", scopes: ["read", "write"] });
      aliceReader = await server.createKey({ name: "alice-reader", space: "alice", scopes: ["read"] });
      bob = await server.createKey({ name: "bob", space: "bob", scopes: ["read", "write"] });
      const asBob = createMemoryMirrorClient({ url: server.url, apiKey: bob });
      await asBob.videoAnalysis.create.mutate({ videoId: "bob-1", description: "bob's birthday cake" });
    });
    afterAll(() => server?.close());

    it("answers 401 with WWW-Authenticate over tRPC and REST, 403 over MCP, when the key is missing or wrong", async () => {
      for (const headers of [{}, bearer("mm_notakey"), { authorization: "Basic YTpi" }]) {
        const trpc = await trpcGet(server, "videoAnalysis.list", {}, headers);
        expect(trpc.status).toBe(401);
        expect(trpc.headers.get("www-authenticate")).toMatch(/^Bearer realm="memory-mirror"/);
        expect(await json(trpc)).toMatchObject({ error: { data: { code: "UNAUTHORIZED", httpStatus: 401 } } });

        const rest = await fetch(`${server.url}/api/video-analysis/`, { headers });
        expect(rest.status).toBe(401);
        expect(rest.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(Object.keys(await json(rest))).toEqual(["detail"]);

        const mcp = await fetch(`${server.url}/mcp`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        });
        // MCP clients start OAuth on a 401, which this server does not offer (onboarding.test.ts).
        expect(mcp.status).toBe(403);
        expect(mcp.headers.get("www-authenticate")).toBeNull();
      }
      // Liveness, readiness and the docs stay open.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    });

    it("the typed client carries the key, and a missing one surfaces as UNAUTHORIZED", async () => {
      const anonymous = createMemoryMirrorClient({ url: server.url });
      expect(errorCode(await anonymous.videoAnalysis.list.query().catch((e: unknown) => e))).toBe("UNAUTHORIZED");
      const batch = await Promise.all([
        anonymous.videoAnalysis.byVideoId.query({ videoId: "x" }).catch(errorCode),
        anonymous.videoAnalysis.list.query().catch(errorCode),
      ]);
      expect(batch).toEqual(["UNAUTHORIZED", "UNAUTHORIZED"]);
      const asAlice = createMemoryMirrorClient({ url: server.url, apiKey: alice });
      expect((await asAlice.videoAnalysis.list.query()).items).toEqual([]);
    });

    it("queries need read, mutations write, key management admin: 403 naming the scope", async () => {
      const reader = createMemoryMirrorClient({ url: server.url, apiKey: aliceReader });
      expect((await reader.videoAnalysis.list.query()).items).toEqual([]);
      const denied = await reader.videoAnalysis.create
        .mutate({ videoId: "r", description: "d" })
        .catch((e: unknown) => e);
      expect(errorCode(denied)).toBe("FORBIDDEN");
      expect((denied as Error).message).toBe('This key (alice-reader) lacks the "write" scope this operation needs');
      expect(errorCode(await reader.keys.list.query().catch((e: unknown) => e))).toBe("FORBIDDEN");

      const put = await fetch(`${server.url}/api/video-analysis/`, {
        method: "POST",
        headers: { ...bearer(aliceReader), "content-type": "application/json" },
        body: JSON.stringify({ video_id: "r", description: "d" }),
      });
      expect(put.status).toBe(403);
      expect(await json(put)).toEqual({
        detail: 'This key (alice-reader) lacks the "write" scope this operation needs',
      });

      const mcp = await mcpClient(server, bearer(aliceReader));
      const result = await mcp.callTool({
        name: "create_video_analysis",
        arguments: { videoId: "r", description: "d" },
      });
      expect(result.isError).toBe(true);
      expect(toolText(result)).toContain('lacks the "write" scope');
      await mcp.close();
    });

    it("keeps every key in its space on every transport; admin keys choose one with X-MM-Space", async () => {
      const asAlice = createMemoryMirrorClient({ url: server.url, apiKey: alice });
      expect(
        errorCode(await asAlice.videoAnalysis.byVideoId.query({ videoId: "bob-1" }).catch((e: unknown) => e)),
      ).toBe("NOT_FOUND");
      await asAlice.videoAnalysis.create.mutate({ videoId: "bob-1", description: "alice's own bob-1" });
      expect((await asAlice.videoAnalysis.byVideoId.query({ videoId: "bob-1" })).description).toBe("alice's own bob-1");

      const rest = await fetch(`${server.url}/api/video-analysis/bob-1`, { headers: bearer(alice) });
      expect(((await json(rest)) as { description: string }).description).toBe("alice's own bob-1");

      const elsewhere = await fetch(`${server.url}/api/video-analysis/bob-1`, {
        headers: { ...bearer(alice), "x-mm-space": "bob" },
      });
      expect(elsewhere.status).toBe(403);
      expect(await json(elsewhere)).toEqual({ detail: 'This key (alice) belongs to space "alice", not "bob"' });

      const asAdminInBob = createMemoryMirrorClient({ url: server.url, apiKey: admin, space: "bob" });
      expect((await asAdminInBob.videoAnalysis.byVideoId.query({ videoId: "bob-1" })).description).toBe(
        "bob's birthday cake",
      );
      const asAdmin = createMemoryMirrorClient({ url: server.url, apiKey: admin });
      expect((await asAdmin.videoAnalysis.list.query()).items).toEqual([]); // "default"

      const mcp = await mcpClient(server, bearer(alice));
      expect(toolText(await mcp.callTool({ name: "get_video_analysis", arguments: { videoId: "bob-1" } }))).toContain(
        "alice's own bob-1",
      );
      const listed = toolText(await mcp.callTool({ name: "list_video_analyses", arguments: {} }));
      expect(listed).not.toContain("birthday cake");
      await mcp.close();
    });

    it("never lets a space key reach another space through REST or MCP, whatever it sends (property)", async () => {
      const ids = ["bob-1", "bob-2", "x"];
      const asBob = createMemoryMirrorClient({ url: server.url, apiKey: bob });
      await asBob.videoAnalysis.create.mutate({ videoId: "bob-2", description: "bob's second cake" }).catch(() => {});
      const before = (await asBob.videoAnalysis.list.query({ limit: 1000 })).items;
      const mcp = await mcpClient(server, bearer(alice));
      const restCall = fc.record({
        method: fc.constantFrom("GET", "PUT", "DELETE", "POST"),
        videoId: fc.constantFrom(...ids),
        space: fc.constantFrom(undefined, "bob", "alice"),
      });
      const mcpCall = fc.record({
        tool: fc.constantFrom(
          "get_video_analysis",
          "update_video_analysis",
          "delete_video_analysis",
          "create_video_analysis",
          "list_video_analyses",
        ),
        videoId: fc.constantFrom(...ids),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(restCall, mcpCall), { minLength: 1, maxLength: 6 }), async (calls) => {
          for (const call of calls) {
            let text: string;
            if ("method" in call) {
              const headers: Record<string, string> = { ...bearer(alice), "content-type": "application/json" };
              if (call.space) headers["x-mm-space"] = call.space;
              const path = call.method === "POST" ? "/api/video-analysis/" : `/api/video-analysis/${call.videoId}`;
              const body =
                call.method === "POST"
                  ? { video_id: call.videoId, description: "a" }
                  : call.method === "PUT"
                    ? { description: "a" }
                    : undefined;
              const response = await fetch(server.url + path, {
                method: call.method,
                headers,
                body: body && JSON.stringify(body),
              });
              expect(response.status).toBeLessThan(500);
              text = await response.text();
            } else {
              const args =
                call.tool === "list_video_analyses"
                  ? {}
                  : call.tool.startsWith("get") || call.tool.startsWith("delete")
                    ? { videoId: call.videoId }
                    : { videoId: call.videoId, description: "a" };
              text = toolText(await mcp.callTool({ name: call.tool, arguments: args }));
            }
            expect(text).not.toContain("cake");
          }
          expect((await asBob.videoAnalysis.list.query({ limit: 1000 })).items).toEqual(before);
        }),
        { numRuns: 15 },
      );
      await mcp.close();
    });

    it("manages keys over the API with an admin key; a revoked key stops working within seconds", async () => {
      const asAdmin = createMemoryMirrorClient({ url: server.url, apiKey: admin });
      const { key, info } = await asAdmin.keys.create.mutate({ name: "temp", space: "carol", scopes: ["read"] });
      expect(info).toMatchObject({ name: "temp", space: "carol", scopes: ["read"] });
      const asCarol = createMemoryMirrorClient({ url: server.url, apiKey: key });
      expect((await asCarol.videoAnalysis.list.query()).items).toEqual([]);
      const listed = await asAdmin.keys.list.query();
      expect(listed.items.map((k) => k.name)).toEqual(expect.arrayContaining(["admin", "alice", "temp"]));
      expect(JSON.stringify(listed)).not.toContain(key);
      await asAdmin.keys.revoke.mutate({ key: "temp" });
      await expect
        .poll(() => asCarol.videoAnalysis.list.query().then(() => "ok", errorCode), { timeout: 3000, interval: 50 })
        .toBe("UNAUTHORIZED");
    });
  });

  describe.skipIf(!!target.skip)(`limits that protect the process on the ${target.name} database`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name, {
        maxResponseBytes: 4 * 1024 * 1024,
        maxResponseRows: 500,
        maxBatchSize: 100,
      });
      const description = "x".repeat(50_000);
      const client = createMemoryMirrorClient({ url: server.url });
      for (let i = 0; i < 120; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            client.videoAnalysis.create.mutate({ videoId: `long-${i + j}`, description }),
          ),
        );
      }
    });
    afterAll(() => server?.close());

    it("refuses to build an unbounded answer: 100 list calls of 1,000 long rows get 413s naming the limit", async () => {
      const calls = Array.from({ length: 100 }, () => "videoAnalysis.list").join(",");
      const input = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [i, { limit: 1000 }]));
      const response = await fetch(
        `${server.url}/trpc/${calls}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`,
      );
      const text = await response.text();
      expect([207, 413]).toContain(response.status);
      expect(text.length).toBeLessThan(4 * 1024 * 1024 + 200_000);
      const results = JSON.parse(text) as { error?: { message: string; data: { code: string } } }[];
      const refused = results.filter((r) => r.error);
      expect(refused.length).toBeGreaterThanOrEqual(99);
      for (const r of refused) {
        expect(r.error?.data.code).toBe("PAYLOAD_TOO_LARGE");
        expect(r.error?.message).toMatch(/MAX_RESPONSE_(BYTES|ROWS)/);
      }
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const small = await trpcGet(server, "videoAnalysis.list", { limit: 10 });
      expect(small.status).toBe(200);
    });

    it("counts rows across the calls of a batch (MAX_RESPONSE_ROWS)", async () => {
      // Short rows in a space of their own, so only the row count can run out.
      const client = createMemoryMirrorClient({ url: server.url, space: "short" });
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client.videoAnalysis.create.mutate({ videoId: `s-${i}`, description: "s" }),
        ),
      );
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          client.videoAnalysis.list.query({ limit: 70 }).then((p) => p.items.length, errorCode),
        ),
      );
      expect(results.filter((r) => r === 70)).toHaveLength(7); // 490 of 500 rows
      expect(results.filter((r) => r === "PAYLOAD_TOO_LARGE")).toHaveLength(1);
    });

    it("refuses text that is not well-formed Unicode instead of storing U+FFFD", async () => {
      const headers = { "content-type": "application/json", "x-mm-space": "unicode" };
      const surrogate = await fetch(`${server.url}/trpc/videoAnalysis.create`, {
        method: "POST",
        headers,
        body: '{"videoId":"sur-\\ud800","description":"d"}',
      });
      expect(surrogate.status).toBe(400);
      expect(((await json(surrogate)) as { error: { message: string } }).error.message).toMatch(/lone surrogate/);

      const invalidUtf8 = Buffer.concat([
        Buffer.from('{"videoId":"bad-'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('","description":"d"}'),
      ]);
      for (const path of ["/trpc/videoAnalysis.create", "/api/video-analysis/"]) {
        const response = await fetch(server.url + path, { method: "POST", headers, body: invalidUtf8 });
        expect(response.status).toBe(400);
        expect(await response.text()).toContain("not valid UTF-8");
      }
      const rest = await fetch(`${server.url}/api/video-analysis/`, {
        method: "POST",
        headers,
        body: '{"video_id":"sur-\\udfff","description":"d"}',
      });
      expect(rest.status).toBe(422);
      const query = await fetch(`${server.url}/trpc/videoAnalysis.byVideoId?input=%7B%22videoId%22%3A%22%FF%22%7D`);
      expect(query.status).toBe(400);
      const stored = await createMemoryMirrorClient({ url: server.url, space: "unicode" }).videoAnalysis.list.query();
      expect(stored.items).toEqual([]);
    });

    it("does not echo parser internals in 4xx messages", async () => {
      const response = await fetch(`${server.url}/trpc/videoAnalysis.create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"videoId": "x", oops',
      });
      expect(response.status).toBe(400);
      const message = ((await json(response)) as { error: { message: string } }).error.message;
      expect(message).toBe("The request is not valid JSON");
    });

    it("puts security headers on every answer and its own request id, logging a client's beside it", async () => {
      for (const path of ["/healthz", "/docs", "/api/video-analysis/", "/trpc/videoAnalysis.list", "/nowhere"]) {
        const response = await fetch(server.url + path, { headers: { "x-request-id": "client-chosen-id" } });
        expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
        expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
        expect(response.headers.get("x-frame-options"), path).toBe("DENY");
        expect(response.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
        expect(response.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it("answers CORS preflights, allowing no other origin by default", async () => {
      const preflight = await fetch(`${server.url}/trpc/videoAnalysis.list`, {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    });
  });
}

describe("rate limits and CORS allow-list (embedded)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("embedded", { rateLimitPerMinute: 10, corsOrigins: ["https://app.example"] });
  });
  afterAll(() => server?.close());

  it("counts each call of a batch and answers 429 with Retry-After in each transport's shape", async () => {
    const calls = Array.from({ length: 6 }, () => "videoAnalysis.list").join(",");
    const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [i, {}]))));
    expect((await fetch(`${server.url}/trpc/${calls}?batch=1&input=${input}`)).status).toBe(200);
    const limited = await fetch(`${server.url}/trpc/${calls}?batch=1&input=${input}`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // A batch is answered call by call, each refused.
    const answers = (await limited.json()) as unknown[];
    expect(answers).toHaveLength(6);
    for (const answer of answers)
      expect(answer).toMatchObject({
        error: {
          data: { code: "TOO_MANY_REQUESTS" },
          message: expect.stringContaining("RATE_LIMIT_PER_MINUTE") as string,
        },
      });
    const rest = await fetch(`${server.url}/api/video-analysis/`);
    expect(rest.status).toBe(429);
    expect(Object.keys(await json(rest))).toEqual(["detail"]);
    const client = createMemoryMirrorClient({ url: server.url });
    expect(errorCode(await client.videoAnalysis.list.query().catch((e: unknown) => e))).toBe("TOO_MANY_REQUESTS");
  });

  it("allows exactly the listed origins", async () => {
    const allowed = await fetch(`${server.url}/healthz`, { headers: { origin: "https://app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await fetch(`${server.url}/healthz`, { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/trpc/videoAnalysis.create`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
  });
});
