/**
 * GET /api/changes: server-sent events read with plain fetch, as a consumer in any language would; keys, spaces and
 * scopes as everywhere; Last-Event-ID resumes exactly; filters; stream limits answer 429.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { readSse, type SseEvent } from "./support/sse.ts";

const targets = await testTargets();

interface RestEvent {
  type: string;
  video_id?: string;
  version?: number;
}
const parsed = (events: SseEvent[]) => events.map((e) => JSON.parse(e.data) as RestEvent);
const summary = (events: SseEvent[]) =>
  parsed(events).map((e) => (e.video_id ? `${e.type} ${e.video_id} v${e.version}` : e.type));

for (const target of targets) {
  describe.skipIf(!!target.skip)(`GET /api/changes on the ${target.name} database`, () => {
    let server: TestServer;
    let keyA: string;
    let keyB: string;
    let keyC: string;
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const put = (key: string, videoId: string, body: Record<string, unknown>) =>
      fetch(`${server.url}/api/video-analysis/${videoId}`, {
        method: "PUT",
        headers: { ...auth(key), "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const create = (key: string, videoId: string, description: string, tags: string[] = []) =>
      fetch(`${server.url}/api/video-analysis/`, {
        method: "POST",
        headers: { ...auth(key), "content-type": "application/json" },
        body: JSON.stringify({ video_id: videoId, description, tags }),
      });

    beforeAll(async () => {
      server = await startTestServer(target.name, { auth: "required", maxStreamsPerKey: 5 });
      keyA = await server.createKey({ name: "a", space: "space-a", scopes: ["read", "write"] });
      keyB = await server.createKey({ name: "b", space: "space-b", scopes: ["read", "write"] });
      keyC = await server.createKey({ name: "c", space: "space-a", scopes: ["read"] });
    });
    afterAll(() => server?.close());

    it("streams the space's changes as snake_case events with ids, starting with where it starts", async () => {
      const stream = await readSse(`${server.url}/api/changes`, auth(keyA));
      expect(stream.status).toBe(200);
      expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const [ready] = await stream.until(1);
      expect(parsed([ready!])[0]).toMatchObject({ type: "ready" });
      expect((await create(keyA, "rest-1", "first", ["pets"])).status).toBe(201);
      expect((await put(keyA, "rest-1", { description: "second" })).status).toBe(200);
      const events = (await stream.until(3)).slice(1);
      expect(summary(events)).toEqual(["created rest-1 v1", "updated rest-1 v2"]);
      expect(parsed(events)[1]).toMatchObject({
        tags: ["pets"],
        analysis: { video_id: "rest-1", description: "second", version: 2 },
      });
      expect(BigInt(events[1]!.id!)).toBeGreaterThan(BigInt(events[0]!.id!));
      stream.close();
    });

    it("resumes after Last-Event-ID with exactly the missed events, and filters by tags and video_id", async () => {
      const first = await readSse(`${server.url}/api/changes`, auth(keyA));
      await first.until(1);
      await create(keyA, "resume-1", "one", ["cats"]);
      const [, seen] = await first.until(2);
      first.close();
      await create(keyA, "resume-2", "two", ["cats", "home"]);
      await create(keyA, "resume-3", "three");
      const resumed = await readSse(`${server.url}/api/changes`, { ...auth(keyA), "last-event-id": seen!.id! });
      const byTags = await readSse(
        `${server.url}/api/changes?tags=cats&tags=HOME&last_event_id=${seen!.id!}`,
        auth(keyA),
      );
      const byVideo = await readSse(
        `${server.url}/api/changes?video_id=resume-3&last_event_id=${seen!.id!}`,
        auth(keyA),
      );
      expect(summary(await resumed.until(2))).toEqual(["created resume-2 v1", "created resume-3 v1"]);
      expect(summary(await byTags.until(1))).toEqual(["created resume-2 v1"]);
      expect(summary(await byVideo.until(1))).toEqual(["created resume-3 v1"]);
      await create(keyA, "resume-4", "four");
      expect(summary(await resumed.until(3)).at(-1)).toBe("created resume-4 v1");
      for (const s of [resumed, byTags, byVideo]) s.close();
    });

    it("another space's subscriber sees nothing, also resuming from this space's ids", async () => {
      const a = await readSse(`${server.url}/api/changes`, auth(keyA));
      await a.until(1);
      await create(keyA, "private", "space a only");
      const [, mine] = await a.until(2);
      a.close();
      const b = await readSse(`${server.url}/api/changes`, { ...auth(keyB), "last-event-id": "0" });
      const bResumed = await readSse(`${server.url}/api/changes`, { ...auth(keyB), "last-event-id": mine!.id! });
      await put(keyA, "private", { description: "still space a only" });
      await create(keyB, "own", "space b");
      expect(summary(await b.until(1))).toEqual(["created own v1"]);
      expect(summary(await bResumed.until(1))).toEqual(["created own v1"]);
      b.close();
      bResumed.close();
    });

    it("answers 401 without a key, 422 naming a bad filter or id, and 429 past MAX_STREAMS_PER_KEY (a read key suffices)", async () => {
      expect((await fetch(`${server.url}/api/changes`)).status).toBe(401);
      const bad = await fetch(`${server.url}/api/changes`, { headers: { ...auth(keyA), "last-event-id": "x" } });
      expect(bad.status).toBe(422);
      expect(JSON.stringify(await bad.json())).toContain("Last-Event-ID must be the id of an earlier event");
      const badTag = await fetch(`${server.url}/api/changes?tags=${"x".repeat(80)}`, { headers: auth(keyA) });
      expect(badTag.status).toBe(422);
      const open = await Promise.all([1, 2, 3, 4, 5].map(() => readSse(`${server.url}/api/changes`, auth(keyC))));
      expect(open.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
      const refused = await fetch(`${server.url}/api/changes`, { headers: auth(keyC) });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { detail: string }).detail).toContain("MAX_STREAMS_PER_KEY=5");
      // Another key has its own share; a closed stream frees its slot.
      const other = await readSse(`${server.url}/api/changes`, auth(keyB));
      expect(other.status).toBe(200);
      open[0]!.close();
      await expect
        .poll(async () => {
          const again = await fetch(`${server.url}/api/changes`, { headers: auth(keyC) });
          await again.body?.cancel();
          return again.status;
        })
        .toBe(200);
      for (const s of [...open, other]) s.close();
    });
  });
}
