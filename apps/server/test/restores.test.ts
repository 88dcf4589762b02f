/**
 * Regression tests for restores (upsertMany with version and timestamps): bounded to what later writes can carry on
 * from, and never rewriting a stored version's content without a trace.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

describe("restores (embedded, AUTH=off: the anonymous caller may restore)", () => {
  let server: TestServer;
  let client: ReturnType<typeof createMemoryMirrorClient>;
  beforeAll(async () => {
    server = await startTestServer("embedded");
    client = createMemoryMirrorClient({ url: server.url });
  });
  afterAll(() => server?.close());

  const restore = (item: Record<string, unknown>) =>
    client.videoAnalysis.upsertMany
      .mutate({
        items: [
          {
            videoId: "r",
            description: "as exported",
            version: 3,
            createdAt: "2025-01-01T00:00:00.000Z",
            updatedAt: "2025-02-01T00:00:00.000Z",
            ...item,
          },
        ],
      })
      .catch((e: unknown) => e);
  const failure = (e: unknown) => ({ code: errorCode(e), message: (e as Error).message });

  it("refuses timestamps far ahead of the clock and versions no later write could follow", async () => {
    expect(failure(await restore({ videoId: "future", updatedAt: "9999-12-31T23:59:59.999Z" }))).toEqual({
      code: "BAD_REQUEST",
      message: "items.0.updatedAt: updatedAt must not be more than a day ahead of the server's clock",
    });
    expect(failure(await restore({ videoId: "top", version: 2147483647 }))).toEqual({
      code: "BAD_REQUEST",
      message: "items.0.version: version must be at most 1,000,000,000",
    });
    // Within the bounds, the row stays writable and readable.
    await restore({
      videoId: "edge",
      version: 1_000_000_000,
      updatedAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const updated = await client.videoAnalysis.update.mutate({ videoId: "edge", description: "written after" });
    expect(updated.version).toBe(1_000_000_001);
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.now());
    expect((await client.videoAnalysis.list.query()).items.map((i) => i.videoId)).toContain("edge");
  });

  it("a restore that changes a version's content becomes a new version; the replaced text stays in history", async () => {
    await restore({});
    const before = await client.videoAnalysis.byVideoId.query({ videoId: "r" });
    const etag = (await fetch(`${server.url}/api/video-analysis/r`)).headers.get("etag");

    expect(await restore({ description: "rewritten at the same version" })).toEqual({
      created: 0,
      updated: 1,
      unchanged: 0,
    });
    const after = await client.videoAnalysis.byVideoId.query({ videoId: "r" });
    expect(after).toMatchObject({
      description: "rewritten at the same version",
      version: 4,
      createdAt: before.createdAt,
    });
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect((await fetch(`${server.url}/api/video-analysis/r`)).headers.get("etag")).not.toBe(etag);
    expect(
      (await client.videoAnalysis.history.query({ videoId: "r" })).items.map((v) => [v.version, v.description]),
    ).toEqual([[3, "as exported"]]);

    // Restoring the same export again is still no change.
    await restore({ videoId: "same" });
    expect(await restore({ videoId: "same" })).toEqual({ created: 0, updated: 0, unchanged: 1 });
  });
});
