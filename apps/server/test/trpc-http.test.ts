import { once } from "node:events";
import net from "node:net";
import {
  createMemoryMirrorClient,
  errorCode,
  errorStatus,
  type MemoryMirrorClient,
  type RouterInputs,
  type RouterOutputs,
} from "@memory-mirror/client";
import type { Metadata } from "@memory-mirror/api/schemas";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();

/** The real fetch, counting the HTTP requests the client makes. */
function countingFetch() {
  const requests: { method: string; url: string }[] = [];
  const fetchFn: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    requests.push({ method: request.method, url: request.url });
    return fetch(request);
  };
  return { requests, fetch: fetchFn };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected the call to fail"),
    (e: unknown) => e,
  );
}

for (const target of targets) {
  describe.skipIf(!!target.skip)(`tRPC over HTTP on the ${target.name} database`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name, { maxBatchSize: 10, maxBodyBytes: 64 * 1024 });
    });
    afterAll(() => server?.close());

    describe("through @memory-mirror/client", () => {
      it("sends 3 calls made together as ONE HTTP request when batching", async () => {
        const counter = countingFetch();
        const client = createMemoryMirrorClient({ url: server.url, fetch: counter.fetch });
        await client.videoAnalysis.create.mutate({ videoId: "batch-a", description: "first" });
        counter.requests.length = 0;
        // tRPC batches queries with queries and mutations with mutations.
        const [read, missing, page] = await Promise.all([
          client.videoAnalysis.byVideoId.query({ videoId: "batch-a" }),
          client.videoAnalysis.byVideoId.query({ videoId: "batch-none" }).catch(errorCode),
          client.videoAnalysis.list.query({ limit: 5 }),
        ]);
        expect(counter.requests).toEqual([{ method: "POST", url: expect.stringContaining("?batch=1") as string }]);
        expect(read.description).toBe("first");
        expect(missing).toBe("NOT_FOUND");
        expect(page.items.map((i) => i.videoId)).toContain("batch-a");
      });

      it("sends one request per call when batching is off", async () => {
        const counter = countingFetch();
        const client = createMemoryMirrorClient({ url: server.url, fetch: counter.fetch, batch: false });
        await client.videoAnalysis.create.mutate({ videoId: "solo", description: "x" });
        const [a, b] = await Promise.all([
          client.videoAnalysis.byVideoId.query({ videoId: "solo" }),
          client.videoAnalysis.list.query(),
        ]);
        expect(a.description).toBe("x");
        expect(b.items.length).toBeGreaterThan(0);
        expect(counter.requests.map((r) => r.method)).toEqual(["POST", "GET", "GET"]);
      });

      it("splits batches larger than the server's limit instead of failing", async () => {
        const counter = countingFetch();
        const client = createMemoryMirrorClient({ url: server.url, fetch: counter.fetch, batch: { maxItems: 10 } });
        const ids = Array.from({ length: 25 }, (_, i) => `split-${i}`);
        const results = await Promise.all(
          ids.map((videoId) => client.videoAnalysis.create.mutate({ videoId, description: "d" })),
        );
        expect(results.map((r) => r.videoId)).toEqual(ids);
        expect(counter.requests).toHaveLength(3);
      });

      it("sends long query batches as POST, never as an overlong URL", async () => {
        const counter = countingFetch();
        const client = createMemoryMirrorClient({ url: server.url, fetch: counter.fetch });
        const longId = "L".repeat(250);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            client.videoAnalysis.byVideoId.query({ videoId: `${longId}${i}` }).catch(errorCode),
          ),
        );
        expect(results).toEqual(Array(10).fill("NOT_FOUND"));
        expect(counter.requests).toEqual([
          { method: "POST", url: expect.stringMatching(/\/trpc\/[^?]+\?batch=1$/) as string },
        ]);
      });

      it("types the wire format: timestamps arrive as ISO strings", async () => {
        const client = createMemoryMirrorClient({ url: server.url });
        const created = await client.videoAnalysis.create.mutate({ videoId: "types", description: "d" });
        // Checked by `tsc` (pnpm test typechecks): exact types, no `any` anywhere in the client's view.
        expectTypeOf(created).toEqualTypeOf<{
          id: string;
          videoId: string;
          description: string;
          tags: string[];
          embedding: { model: string; dimensions: number } | null;
          recordedAt: string | null;
          metadata: Metadata | null;
          version: number;
          createdAt: string;
          updatedAt: string;
        }>();
        expectTypeOf<RouterInputs["videoAnalysis"]["list"]>().toEqualTypeOf<
          | {
              limit?: number | undefined;
              cursor?: string | null | undefined;
              tags?: string[] | undefined;
              recordedAfter?: string | undefined;
              recordedBefore?: string | undefined;
              metadata?: Metadata | undefined;
              orderBy?: "createdAt" | "recordedAt" | undefined;
            }
          | undefined
          | void
        >();
        expectTypeOf<RouterOutputs["videoAnalysis"]["list"]["nextCursor"]>().toEqualTypeOf<string | null>();
        expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
      });

      it.each([
        [
          "CONFLICT",
          (c: MemoryMirrorClient) => c.videoAnalysis.create.mutate({ videoId: "solo", description: "again" }),
        ],
        ["NOT_FOUND", (c: MemoryMirrorClient) => c.videoAnalysis.byVideoId.query({ videoId: "nope" })],
        ["NOT_FOUND", (c: MemoryMirrorClient) => c.videoAnalysis.update.mutate({ videoId: "nope", description: "d" })],
        ["NOT_FOUND", (c: MemoryMirrorClient) => c.videoAnalysis.delete.mutate({ videoId: "nope" })],
        ["BAD_REQUEST", (c: MemoryMirrorClient) => c.videoAnalysis.create.mutate({ videoId: "", description: "d" })],
        ["BAD_REQUEST", (c: MemoryMirrorClient) => c.videoAnalysis.list.query({ limit: 0 })],
      ])("surfaces %s as a TRPCClientError with that code", async (code, call) => {
        const error = await rejection(call(createMemoryMirrorClient({ url: server.url })));
        expect(errorCode(error)).toBe(code);
      });

      it("errorStatus reads a failed call's HTTP status, and is undefined when no answer came", async () => {
        const client = createMemoryMirrorClient({ url: server.url, batch: false });
        expect(errorStatus(await rejection(client.videoAnalysis.byVideoId.query({ videoId: "nope" })))).toBe(404);
        expect(errorStatus(await rejection(client.videoAnalysis.list.query({ limit: 0 })))).toBe(400);
        // A port nothing listens on (a listener just closed there): the call fails without any answer.
        const listener = net.createServer().listen(0, "127.0.0.1");
        await once(listener, "listening");
        const { port } = listener.address() as net.AddressInfo;
        await new Promise((resolve) => listener.close(resolve));
        const unreachable = createMemoryMirrorClient({ url: `http://127.0.0.1:${port}` });
        const error = await rejection(unreachable.videoAnalysis.list.query({}));
        expect(errorStatus(error)).toBeUndefined();
        expect(errorCode(error)).toBeUndefined();
      });
    });

    describe("raw HTTP in the wire format curl users send", () => {
      const post = (path: string, body: unknown, init: RequestInit = {}) =>
        fetch(`${server.url}/trpc/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body),
          ...init,
        });
      const get = (path: string, input: unknown) =>
        fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);

      it("answers a single query and mutation with plain JSON", async () => {
        const created = await post("videoAnalysis.create", { videoId: "raw-1", description: "raw" });
        expect(created.status).toBe(200);
        const body = (await created.json()) as { result: { data: Record<string, unknown> } };
        expect(Object.keys(body.result.data).sort()).toEqual([
          "createdAt",
          "description",
          "embedding",
          "id",
          "metadata",
          "recordedAt",
          "tags",
          "updatedAt",
          "version",
          "videoId",
        ]);

        const read = await get("videoAnalysis.byVideoId", { videoId: "raw-1" });
        expect(read.status).toBe(200);
        expect(await read.json()).toEqual(body);
      });

      it("answers a list page in the exact wire text clients parse: key order, ISO timestamps, nulls", async () => {
        const inputs = [
          {
            videoId: "wire-full",
            description: "every field",
            tags: ["wire-exact", "b"],
            embedding: { model: "m-3", values: [0.1, 0.2, 0.3] },
            recordedAt: "2019-07-14T10:00:00+02:00",
            metadata: { place: "Lisbon", n: 1 },
          },
          { videoId: "wire-bare", description: "no optional field", tags: ["wire-exact"] },
        ];
        const stored: { id: string; videoId: string; createdAt: string; updatedAt: string }[] = [];
        for (const input of inputs) {
          const res = await post("videoAnalysis.create", input);
          stored.push(((await res.json()) as { result: { data: (typeof stored)[number] } }).result.data);
        }
        for (const s of stored) expect(s.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const item = (s: (typeof stored)[number]) =>
          s.videoId === "wire-full"
            ? `{"id":"${s.id}","videoId":"wire-full","description":"every field","tags":["b","wire-exact"],` +
              `"embedding":{"model":"m-3","dimensions":3},"recordedAt":"2019-07-14T10:00:00+02:00",` +
              `"metadata":{"n":1,"place":"Lisbon"},"version":1,"createdAt":"${s.createdAt}","updatedAt":"${s.updatedAt}"}`
            : `{"id":"${s.id}","videoId":"wire-bare","description":"no optional field","tags":["wire-exact"],` +
              `"embedding":null,"recordedAt":null,"metadata":null,"version":1,` +
              `"createdAt":"${s.createdAt}","updatedAt":"${s.updatedAt}"}`;
        // Newest first, id breaking a tie within the millisecond.
        const newestFirst = [...stored].sort((a, b) =>
          a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
        );
        const res = await get("videoAnalysis.list", { tags: ["wire-exact"], limit: 5 });
        expect(await res.text()).toBe(
          `{"result":{"data":{"items":[${newestFirst.map(item).join(",")}],"nextCursor":null}}}`,
        );
      });

      it("answers a ?batch=1 GET with one result per call, 207 when they differ", async () => {
        const input = { 0: { videoId: "raw-1" }, 1: { videoId: "absent" } };
        const res = await fetch(
          `${server.url}/trpc/videoAnalysis.byVideoId,videoAnalysis.byVideoId?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`,
        );
        expect(res.status).toBe(207);
        const body = (await res.json()) as [
          { result: { data: { videoId: string } } },
          { error: { data: { code: string } } },
        ];
        expect(body[0].result.data.videoId).toBe("raw-1");
        expect(body[1].error.data.code).toBe("NOT_FOUND");
      });

      it("answers a ?batch=1 POST of mutations", async () => {
        const res = await post("videoAnalysis.create,videoAnalysis.create?batch=1", {
          0: { videoId: "raw-b1", description: "a" },
          1: { videoId: "raw-b2", description: "b" },
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as unknown[]).length).toBe(2);
      });

      it.each([
        ["CONFLICT", 409, () => post("videoAnalysis.create", { videoId: "raw-1", description: "dup" })],
        ["NOT_FOUND", 404, () => get("videoAnalysis.byVideoId", { videoId: "absent" })],
        ["NOT_FOUND", 404, () => post("videoAnalysis.update", { videoId: "absent", description: "d" })],
        ["NOT_FOUND", 404, () => post("videoAnalysis.delete", { videoId: "absent" })],
        ["BAD_REQUEST", 400, () => post("videoAnalysis.create", { videoId: "x" })],
        ["BAD_REQUEST", 400, () => post("videoAnalysis.create", "{not json")],
        ["BAD_REQUEST", 400, () => get("videoAnalysis.list", { limit: 5000 })],
        ["NOT_FOUND", 404, () => get("videoAnalysis.nope", {})],
        ["METHOD_NOT_SUPPORTED", 405, () => fetch(`${server.url}/trpc/videoAnalysis.create`)],
        [
          "PAYLOAD_TOO_LARGE",
          413,
          () => post("videoAnalysis.create", { videoId: "big", description: "x".repeat(70 * 1024) }),
        ],
      ])("maps %s to HTTP %i", async (code, status, call) => {
        const res = await call();
        expect(res.status).toBe(status);
        const body = (await res.json()) as { error: { message: string; data: { code: string } } };
        expect(body.error.data.code).toBe(code);
        expect(body.error.message.length).toBeGreaterThan(0);
      });

      // A body sent without Content-Length (chunked) is counted as it arrives; one with it is judged by the header.
      const chunked = (text: string) =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            const bytes = new TextEncoder().encode(text);
            for (let at = 0; at < bytes.length; at += 16 * 1024) controller.enqueue(bytes.subarray(at, at + 16 * 1024));
            controller.close();
          },
        });
      it("refuses a chunked body (no Content-Length) over MAX_BODY_BYTES with 413", async () => {
        const body = JSON.stringify({ videoId: "big-chunked", description: "x".repeat(70 * 1024) });
        const res = await post("videoAnalysis.create", "", { body: chunked(body), duplex: "half" } as RequestInit);
        expect(res.status).toBe(413);
        const answer = (await res.json()) as { error: { message: string } };
        expect(answer.error.message).toContain("MAX_BODY_BYTES");
        expect((await get("videoAnalysis.byVideoId", { videoId: "big-chunked" })).status).toBe(404);
      });

      it("answers a chunked body (no Content-Length) within MAX_BODY_BYTES", async () => {
        const body = JSON.stringify({ videoId: "chunked-ok", description: "x".repeat(40 * 1024) });
        const res = await post("videoAnalysis.create", "", { body: chunked(body), duplex: "half" } as RequestInit);
        expect(res.status).toBe(200);
        expect((await get("videoAnalysis.byVideoId", { videoId: "chunked-ok" })).status).toBe(200);
      });

      it("rejects a batch over MAX_BATCH_SIZE with a 400 saying so", async () => {
        const n = 11;
        const paths = Array(n).fill("videoAnalysis.byVideoId").join(",");
        const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { videoId: `v${i}` }]));
        const res = await fetch(
          `${server.url}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`,
        );
        expect(res.status).toBe(400);
        expect(JSON.stringify(await res.json())).toMatch(/batch/i);
      });

      it("names the invalid field in a BAD_REQUEST", async () => {
        const res = await post("videoAnalysis.create", { videoId: "ok", description: "" });
        const body = (await res.json()) as { error: { message: string; data: { issues: { path: string }[] } } };
        expect(body.error.message).toContain("description");
        expect(body.error.data.issues.map((i) => i.path)).toEqual(["description"]);
      });

      it("says a missing field is required", async () => {
        const res = await post("videoAnalysis.create", { videoId: "ok" });
        const body = (await res.json()) as { error: { message: string } };
        expect(body.error.message).toBe("description is required");
      });

      it("leaks no stack trace or SQL in errors", async () => {
        const res = await post("videoAnalysis.create", { videoId: "raw-1", description: "dup" });
        const text = await res.text();
        expect(text).not.toMatch(/stack|INSERT|at \w+ \(/);
      });

      it("keeps the stored analysis when a bad update arrives", async () => {
        await post("videoAnalysis.update", { videoId: "raw-1", description: "" });
        const read = (await (await get("videoAnalysis.byVideoId", { videoId: "raw-1" })).json()) as {
          result: { data: { description: string } };
        };
        expect(read.result.data.description).toBe("raw");
      });
    });

    describe("operator endpoints", () => {
      it("GET /healthz answers 200 while the process is up", async () => {
        const res = await fetch(`${server.url}/healthz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: "ok" });
      });

      it("GET /readyz answers 200 once the database is reachable and migrated", async () => {
        const res = await fetch(`${server.url}/readyz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: "ready" });
      });

      it("answers unknown paths with a JSON 404", async () => {
        const res = await fetch(`${server.url}/nowhere`);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ detail: "Not Found" });
      });
    });
  });
}
