/**
 * The original service's REST contract over HTTP, on a real server and database: the manual curl session of the
 * original replayed, then every error row of the contract.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { REST_ANALYSIS_KEYS } from "./support/rest-analysis-keys.ts";

const targets = await testTargets();

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: unknown;
}

interface Analysis {
  id: string;
  video_id: string;
  tags: string[];
  version: number;
  description: string;
  created_at: string;
  updated_at: string;
}

/** Exactly the analysis shape: these five keys, all strings, timestamps ISO-8601 UTC. */
function expectAnalysis(value: unknown): Analysis {
  expect(value).toBeTypeOf("object");
  const a = value as Record<string, unknown>;
  expect(Object.keys(a).sort()).toEqual(REST_ANALYSIS_KEYS);
  for (const key of ["created_at", "description", "id", "updated_at", "video_id"])
    expect(a[key], key).toBeTypeOf("string");
  for (const key of ["created_at", "updated_at"]) {
    expect(a[key]).toMatch(ISO_UTC);
    expect(new Date(a[key] as string).toISOString()).toBe(a[key]);
  }
  return a as unknown as Analysis;
}

/** FastAPI's 422: `detail` is a list of {loc, msg, type} and names each field. */
function expectValidation(answer: Answer, locs: (string | number)[][]) {
  expect(answer.status, answer.text).toBe(422);
  const body = answer.body as { detail: { loc: unknown; msg: unknown; type: unknown }[] };
  expect(Object.keys(body)).toEqual(["detail"]);
  expect(Array.isArray(body.detail)).toBe(true);
  for (const item of body.detail) {
    expect(Object.keys(item).sort()).toEqual(["loc", "msg", "type"]);
    expect(item.msg).toBeTypeOf("string");
    expect(item.type).toBeTypeOf("string");
  }
  expect(body.detail.map((d) => d.loc)).toEqual(locs);
  return body.detail;
}

function expectDetail(answer: Answer, status: number, detail: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.body).toEqual({ detail });
}

for (const target of targets) {
  describe.skipIf(!!target.skip)(`REST API on the ${target.name} database`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name, { maxBodyBytes: 64 * 1024 });
    });
    afterAll(() => server?.close());

    async function http(
      method: string,
      path: string,
      init: { json?: unknown; body?: string; type?: string } = {},
    ): Promise<Answer> {
      const headers: Record<string, string> = {};
      let body: string | undefined = init.body;
      if (init.json !== undefined) body = JSON.stringify(init.json);
      if (init.type ?? (init.json !== undefined ? "application/json" : undefined)) {
        headers["content-type"] = init.type ?? "application/json";
      }
      const response = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      expect(response.status, `${method} ${path} must never answer 500: ${text}`).toBeLessThan(500);
      return { status: response.status, contentType: response.headers.get("content-type"), text, body: parsed };
    }
    const item = (videoId: string) => `/api/video-analysis/${encodeURIComponent(videoId)}`;

    it("replays the original's curl session: create → get → update → list → delete → get", async () => {
      const created = await http("POST", "/api/video-analysis/", {
        json: { video_id: "vid_123", description: "A cat jumps onto a table." },
      });
      expect(created.status).toBe(201);
      expect(created.contentType).toMatch(/^application\/json/);
      const a = expectAnalysis(created.body);
      expect(a).toMatchObject({ video_id: "vid_123", description: "A cat jumps onto a table." });
      expect(a.updated_at).toBe(a.created_at);

      const read = await http("GET", "/api/video-analysis/vid_123");
      expect(read.status).toBe(200);
      expect(expectAnalysis(read.body)).toEqual(a);

      const updated = await http("PUT", "/api/video-analysis/vid_123", {
        json: { description: "A dog catches a ball." },
      });
      expect(updated.status).toBe(200);
      const u = expectAnalysis(updated.body);
      expect(u).toMatchObject({
        id: a.id,
        video_id: "vid_123",
        description: "A dog catches a ball.",
        created_at: a.created_at,
      });
      expect(Date.parse(u.updated_at)).toBeGreaterThan(Date.parse(a.updated_at));

      const list = await http("GET", "/api/video-analysis/?limit=100");
      expect(list.status).toBe(200);
      const page = list.body as { analyses: unknown[]; count: unknown; next_cursor: unknown };
      expect(Object.keys(page).sort()).toEqual(["analyses", "count", "next_cursor"]);
      expect(Array.isArray(page.analyses)).toBe(true);
      expect(page.count).toBe(page.analyses.length);
      expect(page.next_cursor).toBeNull();
      expect(page.analyses.map(expectAnalysis)).toContainEqual(u);

      const deleted = await http("DELETE", "/api/video-analysis/vid_123");
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");

      expectDetail(await http("GET", "/api/video-analysis/vid_123"), 404, "Video analysis not found");
    });

    it("answers every path with and without the trailing slash", async () => {
      expect(
        (await http("POST", "/api/video-analysis", { json: { video_id: "slash", description: "d" } })).status,
      ).toBe(201);
      expect((await http("GET", "/api/video-analysis")).status).toBe(200);
      expect((await http("GET", "/api/video-analysis/?limit=1")).status).toBe(200);
      expect((await http("GET", "/api/video-analysis/slash/")).status).toBe(200);
      expect((await http("PUT", "/api/video-analysis/slash/", { json: { description: "e" } })).status).toBe(200);
      expect((await http("DELETE", "/api/video-analysis/slash/")).status).toBe(204);
      expect((await http("GET", "/api/video-analysis/slash")).status).toBe(404);
    });

    it.each([
      ["spaces", "my video 1"],
      ["slashes", "user/42/clip.mp4"],
      ["unicode", "vidéo-日本語-🎥"],
      ["URL syntax", "a?b=c&d#e%20+f"],
      ["percent sign", "100%"],
      ["dots", "a..b."],
    ])("round-trips a video_id with %s", async (_, videoId) => {
      const created = await http("POST", "/api/video-analysis/", { json: { video_id: videoId, description: "d" } });
      expect(created.status, created.text).toBe(201);
      expect(expectAnalysis((await http("GET", item(videoId))).body).video_id).toBe(videoId);
      expect(expectAnalysis((await http("PUT", item(videoId), { json: { description: "e" } })).body).description).toBe(
        "e",
      );
      // The same row through tRPC: one store, one set of rules.
      const trpc = await fetch(
        `${server.url}/trpc/videoAnalysis.byVideoId?input=${encodeURIComponent(JSON.stringify({ videoId }))}`,
      );
      expect(((await trpc.json()) as { result: { data: { description: string } } }).result.data.description).toBe("e");
      expect((await http("DELETE", item(videoId))).status).toBe(204);
      expect((await http("GET", item(videoId))).status).toBe(404);
    });

    describe("POST /api/video-analysis/", () => {
      it("409 for a video_id that already has an analysis, and keeps the first", async () => {
        await http("POST", "/api/video-analysis/", { json: { video_id: "dup", description: "first" } });
        const again = await http("POST", "/api/video-analysis/", { json: { video_id: "dup", description: "second" } });
        expectDetail(again, 409, "Video analysis for this video_id already exists");
        expect(expectAnalysis((await http("GET", item("dup"))).body).description).toBe("first");
      });

      it("422 naming each missing field", async () => {
        const d = expectValidation(await http("POST", "/api/video-analysis/", { json: { video_id: "m" } }), [
          ["body", "description"],
        ]);
        expect(d[0]).toEqual({ loc: ["body", "description"], msg: "Field required", type: "missing" });
        expectValidation(await http("POST", "/api/video-analysis/", { json: {} }), [
          ["body", "video_id"],
          ["body", "description"],
        ]);
      });

      it("422 for empty, blank, too long and wrongly typed values", async () => {
        const post = (json: unknown) => http("POST", "/api/video-analysis/", { json });
        const [empty] = expectValidation(await post({ video_id: "v", description: "" }), [["body", "description"]]);
        expect(empty?.type).toBe("string_too_short");
        const blank = expectValidation(await post({ video_id: "  ", description: "\t" }), [
          ["body", "video_id"],
          ["body", "description"],
        ]);
        expect(blank[0]?.msg).toMatch(/video_id/); // the REST name, not the procedure's videoId
        const [long] = expectValidation(await post({ video_id: "v".repeat(257), description: "d" }), [
          ["body", "video_id"],
        ]);
        expect(long?.type).toBe("string_too_long");
        const [wrong] = expectValidation(await post({ video_id: 42, description: "d" }), [["body", "video_id"]]);
        expect(wrong?.type).toBe("string_type");
        expectValidation(await post({ video_id: "v", description: "nul\u0000" }), [["body", "description"]]);
        expectValidation(await post(["not", "an", "object"]), [["body"]]);
        expect((await http("GET", item("v"))).status).toBe(404);
      });

      it("ignores unknown fields, as the original did", async () => {
        const created = await http("POST", "/api/video-analysis/", {
          json: { video_id: "extra", description: "d", rating: 5 },
        });
        expect(created.status).toBe(201);
        expectAnalysis(created.body);
      });

      it("422 json_invalid for malformed JSON", async () => {
        const [d] = expectValidation(
          await http("POST", "/api/video-analysis/", { body: '{"video_id": "x",', type: "application/json" }),
          [["body"]],
        );
        expect(d?.type).toBe("json_invalid");
      });

      it("422 'body: Field required' for a missing body, never an empty object", async () => {
        const [withType] = expectValidation(await http("POST", "/api/video-analysis/", { type: "application/json" }), [
          ["body"],
        ]);
        expect(withType).toEqual({ loc: ["body"], msg: "Field required", type: "missing" });
        expectValidation(await http("POST", "/api/video-analysis/"), [["body"]]);
      });

      it("415 for a body that is not JSON", async () => {
        const answer = await http("POST", "/api/video-analysis/", {
          body: '{"video_id":"t","description":"d"}',
          type: "text/plain",
        });
        expect(answer.status).toBe(415);
        expect((answer.body as { detail: string }).detail).toMatch(/application\/json/);
        const form = await http("POST", "/api/video-analysis/", {
          body: "video_id=t&description=d",
          type: "application/x-www-form-urlencoded",
        });
        expect(form.status).toBe(415);
      });

      it("413 for a body over MAX_BODY_BYTES", async () => {
        const answer = await http("POST", "/api/video-analysis/", {
          json: { video_id: "big", description: "x".repeat(70 * 1024) },
        });
        expect(answer.status).toBe(413);
        expect((answer.body as { detail: string }).detail).toMatch(/larger than/);
      });
    });

    describe("GET /api/video-analysis/{video_id}", () => {
      it("404 for an unknown video_id", async () => {
        expectDetail(await http("GET", item("nobody")), 404, "Video analysis not found");
      });

      it("422 for a video_id the schema rejects", async () => {
        expectValidation(await http("GET", item("x".repeat(257))), [["path", "video_id"]]);
        expectValidation(await http("GET", item(" ")), [["path", "video_id"]]);
      });
    });

    describe("PUT /api/video-analysis/{video_id}", () => {
      it("404 for an unknown video_id", async () => {
        expectDetail(
          await http("PUT", item("nobody"), { json: { description: "d" } }),
          404,
          "Video analysis not found",
        );
      });

      it("422 for an invalid or missing description, and keeps the stored one", async () => {
        await http("POST", "/api/video-analysis/", { json: { video_id: "keep", description: "original" } });
        expectValidation(await http("PUT", item("keep"), { json: { description: "" } }), [["body", "description"]]);
        expectValidation(await http("PUT", item("keep"), { json: {} }), [["body", "description"]]);
        expectValidation(await http("PUT", item("keep"), { json: { description: 7 } }), [["body", "description"]]);
        expectValidation(await http("PUT", item("keep"), { type: "application/json" }), [["body"]]);
        const [bad] = expectValidation(await http("PUT", item("keep"), { body: "{", type: "application/json" }), [
          ["body"],
        ]);
        expect(bad?.type).toBe("json_invalid");
        expect(expectAnalysis((await http("GET", item("keep"))).body).description).toBe("original");
      });
    });

    describe("DELETE /api/video-analysis/{video_id}", () => {
      it("404 for an unknown video_id", async () => {
        expectDetail(await http("DELETE", item("nobody")), 404, "Video analysis not found");
      });
    });

    describe("GET /api/video-analysis/?limit=&cursor=", () => {
      it.each(["0", "-1", "1001", "abc", "1.5", ""])("422 for limit=%s", async (limit) => {
        const [d] = expectValidation(await http("GET", `/api/video-analysis/?limit=${limit}`), [["query", "limit"]]);
        expect(d?.type).toMatch(/^(int_parsing|greater_than_equal|less_than_equal)$/);
      });

      it("422 for a cursor list did not return", async () => {
        expectValidation(await http("GET", "/api/video-analysis/?cursor=not-a-cursor"), [["query", "cursor"]]);
      });

      it("pages with limit and next_cursor through every analysis once, newest first", async () => {
        const ids = Array.from({ length: 7 }, (_, i) => `page-${i}`);
        for (const videoId of ids)
          await http("POST", "/api/video-analysis/", { json: { video_id: videoId, description: "p" } });
        const seen: Analysis[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
          const answer = await http("GET", `/api/video-analysis/?${query}`);
          expect(answer.status).toBe(200);
          const page = answer.body as { analyses: unknown[]; count: number; next_cursor: string | null };
          expect(page.count).toBe(page.analyses.length);
          expect(page.count).toBeLessThanOrEqual(3);
          seen.push(...page.analyses.map(expectAnalysis));
          cursor = page.next_cursor;
        } while (cursor);
        const videoIds = seen.map((a) => a.video_id);
        expect(new Set(videoIds).size).toBe(videoIds.length);
        expect(videoIds.filter((v) => v.startsWith("page-"))).toEqual([...ids].reverse());
        const created = seen.map((a) => Date.parse(a.created_at));
        expect(created).toEqual([...created].sort((x, y) => y - x));
      });

      it("defaults to 100 analyses", async () => {
        const ids = Array.from({ length: 101 }, (_, i) => `many-${i}`);
        // Five at a time: within the key's share of the pool (KEY_CONCURRENCY), so a busy machine cannot turn
        // queued creates into 429s.
        for (let i = 0; i < ids.length; i += 5) {
          const chunk = ids
            .slice(i, i + 5)
            .map((videoId) => http("POST", "/api/video-analysis/", { json: { video_id: videoId, description: "m" } }));
          for (const created of await Promise.all(chunk)) expect(created.status).toBe(201);
        }
        const page = (await http("GET", "/api/video-analysis/")).body as {
          analyses: unknown[];
          count: number;
          next_cursor: string | null;
        };
        expect(page.count).toBe(100);
        expect(page.analyses).toHaveLength(100);
        expect(page.next_cursor).toBeTypeOf("string");
      });
    });

    it("405 with Allow for other methods on known paths", async () => {
      const collection = await http("PATCH", "/api/video-analysis/");
      expectDetail(collection, 405, "Method Not Allowed");
      const one = await fetch(`${server.url}/api/video-analysis/x`, { method: "PATCH" });
      expect(one.status).toBe(405);
      expect(one.headers.get("allow")).toBe("GET, PUT, DELETE");
    });
  });
}
