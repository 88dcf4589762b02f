/**
 * Retrieval through the wire on a real server: REST (snake_case, FastAPI errors), tRPC with the typed client, MCP
 * over HTTP; each in the caller's space only, with read scope enough for the POSTs.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";
import { REST_ANALYSIS_KEYS } from "./support/rest-analysis-keys.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`retrieval over HTTP on the ${target.name} database`, () => {
    let server: TestServer;
    let reader: string;
    beforeAll(async () => {
      server = await startTestServer(target.name, { auth: "required" });
      const writer = await server.createKey({ name: "writer", space: "alice", scopes: ["read", "write"] });
      reader = await server.createKey({ name: "reader", space: "alice", scopes: ["read"] });
      const bob = await server.createKey({ name: "bob", space: "bob", scopes: ["read", "write"] });
      const alice = createMemoryMirrorClient({ url: server.url, apiKey: writer });
      await alice.videoAnalysis.create.mutate({
        videoId: "cake",
        description: "Mia's birthday: we baked a chocolate cake.",
        tags: ["family", "mia"],
      });
      await alice.videoAnalysis.create.mutate({
        videoId: "paella",
        description: "Cooking paella with Jonas on the balcony.",
        tags: ["cooking", "family"],
      });
      await createMemoryMirrorClient({ url: server.url, apiKey: bob }).videoAnalysis.create.mutate({
        videoId: "bob-cake",
        description: "Bob's secret birthday cake recipe.",
        tags: ["secret"],
      });
    });
    afterAll(() => server?.close());

    const post = (path: string, body: unknown, key = reader) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    const get = (path: string, key = reader) =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

    it("POST /api/search: snake_case analyses, scores and highlights, in the key's space only", async () => {
      const response = await post("/api/search", { query: "birthdy cake", limit: 5 });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        items: {
          analysis: Record<string, unknown>;
          score: number;
          highlight: string;
          scores: Record<string, unknown>;
        }[];
      };
      expect(body.items.map((i) => i.analysis.video_id)).toEqual(["cake"]);
      expect(Object.keys(body.items[0]?.analysis ?? {}).sort()).toEqual(REST_ANALYSIS_KEYS);
      expect(body.items[0]?.highlight).toContain("**birthday**");
      expect(body.items[0]?.score).toBeGreaterThan(0.5);
      // min_score: 1 keeps only whole answers, and a value out of 0..1 is the caller's mistake.
      const strict = (await (await post("/api/search", { query: "birthdy cake", min_score: 1 })).json()) as {
        items: unknown[];
      };
      expect(strict.items).toEqual([]);
      const wrong = await post("/api/search", { query: "cake", min_score: 2 });
      expect(wrong.status).toBe(422);
      expect(((await wrong.json()) as { detail: { loc: unknown[]; msg: string }[] }).detail[0]).toMatchObject({
        loc: ["body", "min_score"],
        msg: "min_score must be between 0 and 1",
      });
      expect(Object.keys(body.items[0]?.scores ?? {}).sort()).toEqual(["text", "trigram", "vector"]);
    });

    it("POST /api/context and GET /api/tags", async () => {
      const context = (await (await post("/api/context", { query: "birthday cake", max_chars: 300 })).json()) as Record<
        string,
        unknown
      >;
      expect(context).toMatchObject({
        sources: [{ video_id: "cake", chars: expect.any(Number) as number }],
        truncated: false,
      });
      expect(context.text).toMatch(/^## stored \d{4}-\d{2}-\d{2} · cake · family, mia\nMia's birthday/);
      const named = (await (
        await post("/api/context", { video_ids: ["paella", "bob-cake", "cake"], max_chars: 1000 })
      ).json()) as { sources: { video_id: string }[] };
      expect(named.sources.map((s) => s.video_id)).toEqual(["paella", "cake"]);
      // max_chars defaults to 4000; considered and the closing line say what was left out.
      const unbounded = (await (await post("/api/context", { query: "birthday cake" })).json()) as {
        text: string;
        considered: number;
      };
      expect(unbounded.text).toMatch(
        /^## stored \d{4}-\d{2}-\d{2} · cake · .*\n\n\(1 of \d+ memor(y|ies) considered included[^\n]*\.\)$/s,
      );
      expect(unbounded.considered).toBeGreaterThanOrEqual(1);
      expect(await (await get("/api/tags")).json()).toEqual({
        items: [
          { tag: "family", count: 2 },
          { tag: "cooking", count: 1 },
          { tag: "mia", count: 1 },
        ],
      });
      expect(await (await get("/api/tags?limit=1")).json()).toEqual({ items: [{ tag: "family", count: 2 }] });
    });

    it("answers invalid input with FastAPI's 422, other methods with 405, no key with 401", async () => {
      const none = await post("/api/search", { limit: 3 });
      expect(none.status).toBe(422);
      expect(await none.json()).toEqual({
        detail: [{ loc: ["body", "query"], msg: "search needs a query, an embedding, or both", type: "value_error" }],
      });
      const small = await post("/api/context", { query: "cake", max_chars: 10 });
      expect(small.status).toBe(422);
      expect(((await small.json()) as { detail: { loc: unknown[]; msg: string }[] }).detail[0]).toMatchObject({
        loc: ["body", "max_chars"],
        msg: "max_chars must be at least 200",
      });
      expect((await post("/api/search", { query: "x".repeat(1001) })).status).toBe(422);
      expect((await post("/api/search", { query: "a & !b | 'c':* \\" })).status).toBe(200);
      const dims = await post("/api/search", { embedding: { model: "none", values: [1] } });
      expect(await dims.json()).toEqual({ items: [] });
      const wrongMethod = await get("/api/search");
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("POST");
      expect(
        (
          await fetch(`${server.url}/api/search`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          })
        ).status,
      ).toBe(401);
      // A videoId named like a retrieval path is still a videoId.
      expect((await get("/api/video-analysis/search")).status).toBe(404);
    });

    it("tRPC with the typed client, and MCP over HTTP, give the same answers", async () => {
      const client = createMemoryMirrorClient({ url: server.url, apiKey: reader });
      const found = await client.videoAnalysis.search.query({ query: "paela" });
      expect(found.items.map((i) => i.analysis.videoId)).toEqual(["paella"]);
      expect((await client.videoAnalysis.tags.query()).items[0]).toEqual({ tag: "family", count: 2 });
      const context = await client.videoAnalysis.context.query({ query: "paella", maxChars: 200 });
      expect(context.sources.map((s) => s.videoId)).toEqual(["paella"]);
      expect(errorCode(await client.videoAnalysis.search.query({ query: " " }).catch((e: unknown) => e))).toBe(
        "BAD_REQUEST",
      );

      const mcp = await connectMcp(server.url, { authorization: `Bearer ${reader}` });
      try {
        const result = await mcp.callTool({ name: "build_context", arguments: { query: "paella", maxChars: 200 } });
        const [content] = result.content as { text: string }[];
        expect(result.structuredContent).toEqual(context);
        expect(content?.text).toBe(context.text);
      } finally {
        await mcp.close();
      }
    });
  });
