/**
 * Regression tests for the words of REST's 422s: the service words its refusals with its own (tRPC) names, and
 * REST answers them with REST's (`recorded_before`, not `recordedBefore`), while a caller's own values — quoted
 * text, keys inside their metadata — come back as they were sent.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REST_FIELD_NAMES } from "../src/rest/names.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

/** Every property and parameter name in a JSON document (an OpenAPI document's fields, at any depth). */
function fieldNames(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) fieldNames(item, into);
  else if (node !== null && typeof node === "object") {
    const record = node as Record<string, unknown>;
    if (record.properties && typeof record.properties === "object")
      for (const key of Object.keys(record.properties)) into.add(key);
    if (typeof record.in === "string" && typeof record.name === "string") into.add(record.name);
    for (const value of Object.values(record)) fieldNames(value, into);
  }
  return into;
}

const targets = await testTargets();

for (const target of targets) {
  describe.skipIf(!!target.skip)(`REST refusals in REST's names on the ${target.name} database`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name);
      for (const [video_id, recorded_at] of [
        ["a", "2019-07-14T10:00:00Z"],
        ["b", "2020-07-14T10:00:00Z"],
      ])
        await send("POST", "/api/video-analysis/", { video_id, description: "A walk by the sea.", recorded_at });
    });
    afterAll(() => server?.close());

    async function send(method: string, path: string, json?: unknown) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        ...(json === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(json) }),
      });
      return { status: response.status, body: (await response.json()) as { detail?: unknown } };
    }
    /** The one 422 item a request is refused with. */
    const refusal = async (method: string, path: string, json?: unknown) => {
      const { status, body } = await send(method, path, json);
      expect(status).toBe(422);
      expect(body.detail).toHaveLength(1);
      return (body.detail as [{ loc: (string | number)[]; msg: string }])[0];
    };
    const backwards = { recorded_after: "2021-01-01T00:00:00Z", recorded_before: "2020-01-01T00:00:00Z" };
    const EMPTY_RANGE = "recorded_before must be later than recorded_after (the range is empty)";

    it("the service's refusals name the REST fields: an empty range in a body and in a query string", async () => {
      expect(await refusal("POST", "/api/search", { query: "walk", ...backwards })).toEqual({
        loc: ["body", "recorded_before"],
        msg: EMPTY_RANGE,
        type: "value_error",
      });
      expect(await refusal("POST", "/api/context", { query: "walk", ...backwards })).toMatchObject({
        msg: EMPTY_RANGE,
      });
      expect(await refusal("GET", `/api/video-analysis/?${new URLSearchParams(backwards).toString()}`)).toEqual({
        loc: ["query", "recorded_before"],
        msg: EMPTY_RANGE,
        type: "value_error",
      });
    });

    it("a when that misses the range names recorded_after and recorded_before", async () => {
      const { msg } = await refusal("POST", "/api/search", {
        query: "walk",
        when: "in 2019",
        recorded_after: "2020-01-01T00:00:00Z",
      });
      expect(msg).toBe(
        'when: "in 2019" (2019-01-01T00:00:00Z to 2020-01-01T00:00:00Z) does not overlap the range of ' +
          "recorded_after and recorded_before: no memory could match both",
      );
    });

    it("a cursor from the other order names the orders as order_by does (recorded_at, created_at)", async () => {
      const page = await send("GET", "/api/video-analysis/?order_by=recorded_at&limit=1");
      const cursor = (page.body as { next_cursor: string }).next_cursor;
      expect(await refusal("GET", `/api/video-analysis/?cursor=${encodeURIComponent(cursor)}`)).toEqual({
        loc: ["query", "cursor"],
        msg: "cursor comes from a list ordered by recorded_at, not by created_at",
        type: "value_error",
      });
    });

    it("the shared schemas' own words name video_ids and video_id", async () => {
      expect(await refusal("POST", "/api/context", {})).toMatchObject({
        loc: ["body", "query"],
        msg: "context needs a query, an embedding or video_ids",
      });
      expect(await refusal("POST", "/api/context", { video_ids: [] })).toMatchObject({
        loc: ["body", "video_ids"],
        msg: "video_ids must hold at least one video_id",
      });
    });

    it("leaves the caller's own words alone: a quoted phrase and the keys of their metadata", async () => {
      expect((await refusal("POST", "/api/search", { query: "walk", when: "whenPigsFly" })).msg).toMatch(
        /^when: "whenPigsFly" is not a time I can read/,
      );
      expect((await refusal("POST", "/api/search", { query: "walk", metadata: { cameraModel: "a\u0000b" } })).msg).toBe(
        "metadata.cameraModel must not contain NUL characters",
      );
    });

    it("renames exactly the snake_case fields of the served REST contract (REST_FIELD_NAMES is complete)", async () => {
      const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as unknown;
      const snake = [...fieldNames(document)].filter((name) => /^[a-z]+(?:_[a-z]+)+$/.test(name)).sort();
      expect(snake).toEqual([...REST_FIELD_NAMES].sort());
    });

    it("never renames a metadata key that is not a plain name, whatever camelCase or quotes it holds", async () => {
      const nul = async (key: string) =>
        (await refusal("POST", "/api/search", { query: "walk", metadata: { [key]: "a\u0000b" } })).msg;
      expect(await nul("my cameraModel")).toBe('metadata["my cameraModel"] must not contain NUL characters');
      expect(await nul("kameraModellé videoId")).toBe(
        'metadata["kameraModellé videoId"] must not contain NUL characters',
      );
      expect(await nul('say "hi" recordedAt')).toBe(
        'metadata["say \\"hi\\" recordedAt"] must not contain NUL characters',
      );
      expect(await nul("ü.videoId")).toBe('metadata["ü.videoId"] must not contain NUL characters');
      // A plain key that happens to be a service field name is still the caller's key, after its dot.
      expect(await nul("videoId")).toBe("metadata.videoId must not contain NUL characters");
      const nested = await refusal("POST", "/api/video-analysis/", {
        video_id: "nested",
        description: "d",
        metadata: { "a b": { recordedAt: ["x", "\u0000"] } },
      });
      expect(nested.msg).toBe('metadata["a b"].recordedAt[1] must not contain NUL characters');
    });

    it("a caller's quote inside a when phrase cannot unbalance what is renamed after it", async () => {
      const phrase = 'x" recordedAfter "y';
      const { msg } = await refusal("POST", "/api/search", { query: "walk", when: phrase });
      expect(msg.startsWith(`when: ${JSON.stringify(phrase)} is not a time I can read`)).toBe(true);
      expect(msg).toContain("(and keep other words in query)");
    });

    it("a duplicated video_id in a bulk call is quoted whole and the field named video_id", async () => {
      const videoId = 'dup" videoId "x';
      const { status, body } = await send("POST", "/api/bulk/upsert", {
        items: [
          { video_id: videoId, description: "one" },
          { video_id: videoId, description: "two" },
        ],
      });
      expect(status).toBe(422);
      expect(JSON.stringify(body)).toContain(
        JSON.stringify(`video_id ${JSON.stringify(videoId)} appears twice (items 0 and 1)`),
      );
    });
  });
}
