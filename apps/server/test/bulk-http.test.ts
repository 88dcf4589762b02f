/**
 * Idempotent, bulk and conditional writes over HTTP on a real server: the typed client (tRPC), REST with ETag and
 * If-Match, and who may restore versions and timestamps.
 */
import {
  createMemoryMirrorClient,
  errorCode,
  type MemoryMirrorClient,
  type TRPCClientError,
} from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`bulk over HTTP on the ${target.name} database`, () => {
    let server: TestServer;
    let client: MemoryMirrorClient;
    beforeAll(async () => {
      // The races below send 64 calls with one key: they wait for its share (KEY_CONCURRENCY) up to 20 s instead of
      // the default 2 s, past which they were refused (429) with 18 runnable processes; still well inside a test's
      // 30 s, so a slower run fails with the 429 that names the cause.
      server = await startTestServer(target.name, { historyLimit: 100, keyQueueMs: 20_000 });
      // One request per call, as 64 independent producers would send them.
      client = createMemoryMirrorClient({ url: server.url, batch: false });
    });
    afterAll(async () => {
      await server?.close();
    });

    const rest = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: {
          ...(init.json !== undefined ? { "content-type": "application/json" } : {}),
          ...(init.headers as Record<string, string>),
        },
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      });

    describe("concurrency through the typed client", () => {
      it("64 concurrent upserts of one videoId with different content: one row, version = updated + 1, all in the history", async () => {
        const results = await Promise.all(
          Array.from({ length: 64 }, (_, i) =>
            client.videoAnalysis.upsert.mutate({
              videoId: "race",
              description: `take ${i}`,
              tags: [`t${i % 4}`],
              embedding: { model: "m", values: [i, 1] },
            }),
          ),
        );
        const updated = results.filter((r) => r.status === "updated").length;
        expect(results.filter((r) => r.status === "created")).toHaveLength(1);
        const [row] = (await client.videoAnalysis.byVideoIds.query({ videoIds: ["race"] })).items;
        expect(row?.version).toBe(updated + 1);
        const history = await client.videoAnalysis.history.query({ videoId: "race", limit: 100 });
        expect(history.items).toHaveLength(updated);
        const written = [row?.description, ...history.items.map((h) => h.description)].sort();
        expect(written).toEqual(Array.from({ length: 64 }, (_, i) => `take ${i}`).sort());
      });

      it("64 concurrent updates with the same expectedVersion: exactly one succeeds, the others are CONFLICTs naming version 2", async () => {
        await client.videoAnalysis.create.mutate({ videoId: "cas", description: "start" });
        const results = await Promise.allSettled(
          Array.from({ length: 64 }, (_, i) =>
            client.videoAnalysis.update.mutate({ videoId: "cas", description: `u${i}`, expectedVersion: 1 }),
          ),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as TRPCClientError<never>] : []));
        expect(failures.map(errorCode)).toEqual(Array(63).fill("CONFLICT"));
        expect(failures[0]?.message).toBe(
          'Version conflict: videoId "cas" is at version 2, not version 1 (expectedVersion); read it again',
        );
      });
    });

    describe("upsertMany through the typed client", () => {
      const items = Array.from({ length: 1000 }, (_, i) => ({
        videoId: `bulk-${i}`,
        description: `Scene ${i}: someone waves.`,
        tags: ["wave", `n${i % 10}`],
        embedding: { model: "marengo", values: [i / 1000, -1, 0.25] },
      }));

      it("one bad item in the middle: a 400 naming its index and field, and nothing stored", async () => {
        const bad = items.map((item, i) => (i === 500 ? { ...item, tags: ["not ok!"] } : item));
        const error = await client.videoAnalysis.upsertMany
          .mutate({ items: bad })
          .catch((e: unknown) => e as TRPCClientError<never>);
        expect(errorCode(error)).toBe("BAD_REQUEST");
        expect((error as Error).message).toBe("items.500.tags.0: a tag holds only letters, digits and - _ : . /");
        expect((await client.videoAnalysis.byVideoIds.query({ videoIds: ["bulk-0", "bulk-999"] })).items).toEqual([
          null,
          null,
        ]);
      });

      it("fixed: 1,000 created; the same call again: 1,000 unchanged; then byVideoIds answers them in order", async () => {
        expect(await client.videoAnalysis.upsertMany.mutate({ items })).toEqual({
          created: 1000,
          updated: 0,
          unchanged: 0,
        });
        expect(await client.videoAnalysis.upsertMany.mutate({ items })).toEqual({
          created: 0,
          updated: 0,
          unchanged: 1000,
        });
        const asked = ["bulk-999", "nope", "bulk-0"];
        const { items: got } = await client.videoAnalysis.byVideoIds.query({ videoIds: asked });
        expect(got.map((a) => a?.videoId ?? null)).toEqual(["bulk-999", null, "bulk-0"]);
        expect(got[0]).toMatchObject({
          version: 1,
          tags: ["n9", "wave"],
          embedding: { model: "marengo", dimensions: 3 },
        });
      });

      it("a videoId twice is a 400 naming it", async () => {
        const error = await client.videoAnalysis.upsertMany
          .mutate({ items: [items[0]!, items[1]!, items[0]!] })
          .catch((e: unknown) => e as Error);
        expect((error as Error).message).toBe('items.2.videoId: videoId "bulk-0" appears twice (items 0 and 2)');
      });
    });

    describe("REST: ETag and If-Match", () => {
      it("every read carries an ETag; PUT and DELETE with a stale If-Match are 412 naming the current version", async () => {
        const created = await rest("/api/video-analysis/", {
          method: "POST",
          json: { video_id: "etag-1", description: "one" },
        });
        expect(created.status).toBe(201);
        const etag1 = created.headers.get("etag") as string;
        const body = (await created.json()) as { id: string; version: number };
        expect(etag1).toBe(`"1.${body.id}"`);
        const read = await rest("/api/video-analysis/etag-1");
        expect(read.headers.get("etag")).toBe(etag1);

        const put = await rest("/api/video-analysis/etag-1", {
          method: "PUT",
          headers: { "if-match": etag1 },
          json: { description: "two" },
        });
        expect(put.status).toBe(200);
        const etag2 = put.headers.get("etag") as string;
        expect(etag2).toBe(`"2.${body.id}"`);

        const stale = await rest("/api/video-analysis/etag-1", {
          method: "PUT",
          headers: { "if-match": etag1 },
          json: { description: "three" },
        });
        expect(stale.status).toBe(412);
        expect(await stale.json()).toEqual({
          detail: `Precondition failed: If-Match does not match the analysis; it is at version 2 now (ETag ${etag2})`,
        });
        expect(
          (await rest("/api/video-analysis/etag-1", { method: "DELETE", headers: { "if-match": etag1 } })).status,
        ).toBe(412);
        // A weak tag never matches (strong comparison); a list matches when any member does; * always.
        expect(
          (
            await rest("/api/video-analysis/etag-1", {
              method: "PUT",
              headers: { "if-match": `W/${etag2}` },
              json: { description: "x" },
            })
          ).status,
        ).toBe(412);
        const listed = await rest("/api/video-analysis/etag-1", {
          method: "PUT",
          headers: { "if-match": `${etag1}, ${etag2}` },
          json: { description: "three" },
        });
        expect(listed.status).toBe(200);
        expect(
          (await rest("/api/video-analysis/etag-1", { method: "DELETE", headers: { "if-match": "*" } })).status,
        ).toBe(204);
        // No analysis: 404, as without the condition.
        expect(
          (await rest("/api/video-analysis/etag-1", { method: "DELETE", headers: { "if-match": etag2 } })).status,
        ).toBe(404);
      });

      it("a deleted and re-created analysis does not match an ETag of the old one", async () => {
        const first = await rest("/api/video-analysis/", {
          method: "POST",
          json: { video_id: "etag-2", description: "a" },
        });
        const old = first.headers.get("etag") as string;
        await rest("/api/video-analysis/etag-2", { method: "DELETE" });
        await rest("/api/video-analysis/", { method: "POST", json: { video_id: "etag-2", description: "b" } });
        expect(
          (
            await rest("/api/video-analysis/etag-2", {
              method: "PUT",
              headers: { "if-match": old },
              json: { description: "c" },
            })
          ).status,
        ).toBe(412);
      });
    });

    describe("REST: bulk and history", () => {
      it("upserts, gets and deletes in bulk with snake_case names", async () => {
        const items = [
          { video_id: "r-1", description: "one", tags: ["x"], embedding: { model: "m", values: [1, 2] } },
          { video_id: "r-2", description: "two" },
        ];
        const up = await rest("/api/bulk/upsert", { method: "POST", json: { items } });
        expect(await up.json()).toEqual({ created: 2, updated: 0, unchanged: 0 });
        expect(await (await rest("/api/bulk/upsert", { method: "POST", json: { items } })).json()).toEqual({
          created: 0,
          updated: 0,
          unchanged: 2,
        });
        const got = (await (
          await rest("/api/bulk/get", { method: "POST", json: { video_ids: ["r-2", "none", "r-1"] } })
        ).json()) as {
          analyses: ({ video_id: string; embedding: unknown } | null)[];
        };
        expect(got.analyses.map((a) => a?.video_id ?? null)).toEqual(["r-2", null, "r-1"]);
        expect(got.analyses[2]?.embedding).toEqual({ model: "m", dimensions: 2 });
        expect(
          await (await rest("/api/bulk/delete", { method: "POST", json: { video_ids: ["r-1", "none"] } })).json(),
        ).toEqual({ deleted: 1 });
      });

      it("a duplicate video_id and too many items are 422s naming them", async () => {
        const dup = await rest("/api/bulk/upsert", {
          method: "POST",
          json: {
            items: [
              { video_id: "d", description: "a" },
              { video_id: "d", description: "b" },
            ],
          },
        });
        expect(dup.status).toBe(422);
        expect(await dup.json()).toEqual({
          detail: [
            {
              loc: ["body", "items", 1, "video_id"],
              msg: 'video_id "d" appears twice (items 0 and 1)',
              type: "value_error",
            },
          ],
        });
        const many = await rest("/api/bulk/get", {
          method: "POST",
          json: { video_ids: Array.from({ length: 1001 }, (_, i) => `v${i}`) },
        });
        expect(many.status).toBe(422);
        expect((await rest("/api/bulk/get", { method: "GET" })).status).toBe(405);
      });

      it("GET /api/video-analysis/{video_id}/history pages the earlier versions", async () => {
        for (const description of ["h1", "h2", "h3"])
          await rest("/api/bulk/upsert", { method: "POST", json: { items: [{ video_id: "hist", description }] } });
        const page = (await (await rest("/api/video-analysis/hist/history?limit=1")).json()) as {
          versions: { version: number; description: string; changed_at: string }[];
          count: number;
          next_cursor: string;
        };
        expect(page).toMatchObject({
          count: 1,
          versions: [{ version: 2, description: "h2", tags: [], embedding_model: null }],
        });
        const next = (await (
          await rest(`/api/video-analysis/hist/history?limit=1&cursor=${page.next_cursor}`)
        ).json()) as { versions: { description: string }[]; next_cursor: null };
        expect(next).toMatchObject({ versions: [{ description: "h1" }], next_cursor: null });
        expect((await rest("/api/video-analysis/nothing/history")).status).toBe(404);
      });
    });

    describe("who may do what", () => {
      let secured: TestServer;
      beforeAll(async () => {
        secured = await startTestServer(target.name, { auth: "required" });
      });
      afterAll(async () => {
        await secured?.close();
      });

      const restore = {
        videoId: "forge",
        description: "old news",
        version: 40,
        createdAt: "2020-01-01T00:00:00.000Z",
        updatedAt: "2020-02-01T00:00:00.000Z",
      };

      it("a write key may upsert content but not restore versions or timestamps; an admin key may", async () => {
        const writerKey = await secured.createKey({ name: "producer", space: "alice", scopes: ["read", "write"] });
        const writer = createMemoryMirrorClient({ url: secured.url, apiKey: writerKey, batch: false });
        const error = await writer.videoAnalysis.upsertMany.mutate({ items: [restore] }).catch((e: unknown) => e);
        expect(errorCode(error)).toBe("FORBIDDEN");
        expect(
          await writer.videoAnalysis.upsertMany.mutate({ items: [{ videoId: "forge", description: "new" }] }),
        ).toMatchObject({ created: 1 });

        const adminKey = await secured.createKey({ name: "ops", space: "*", scopes: ["read", "write", "admin"] });
        const admin = createMemoryMirrorClient({ url: secured.url, apiKey: adminKey, space: "restored", batch: false });
        expect(await admin.videoAnalysis.upsertMany.mutate({ items: [restore] })).toMatchObject({ created: 1 });
        const page = await admin.videoAnalysis.export.query({});
        expect(page.items[0]).toMatchObject({
          version: 40,
          createdAt: restore.createdAt,
          updatedAt: restore.updatedAt,
        });
        // Nothing reached the writer's space.
        expect((await writer.videoAnalysis.byVideoIds.query({ videoIds: ["forge"] })).items[0]?.version).toBe(1);
      });

      it("a read key may get in bulk and export, but not write in bulk", async () => {
        const readerKey = await secured.createKey({ name: "clone", space: "alice", scopes: ["read"] });
        const headers = { authorization: `Bearer ${readerKey}` };
        expect(
          (
            await fetch(`${secured.url}/api/bulk/get`, {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: '{"video_ids":["forge"]}',
            })
          ).status,
        ).toBe(200);
        expect(
          (
            await fetch(`${secured.url}/api/bulk/delete`, {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: '{"video_ids":["forge"]}',
            })
          ).status,
        ).toBe(403);
        const reader = createMemoryMirrorClient({ url: secured.url, apiKey: readerKey, batch: false });
        expect((await reader.videoAnalysis.export.query({})).items).toHaveLength(1);
        expect(
          errorCode(
            await reader.videoAnalysis.upsert.mutate({ videoId: "x", description: "y" }).catch((e: unknown) => e),
          ),
        ).toBe("FORBIDDEN");
      });
    });
  });
