/**
 * Regression tests for zero vectors: an all-zero embedding (stored or queried) made cosine similarity NaN, and every
 * search and context with that model in that space answered 500 until the row changed.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

describe("zero vectors (embedded)", () => {
  let server: TestServer;
  let client: ReturnType<typeof createMemoryMirrorClient>;
  beforeAll(async () => {
    server = await startTestServer("embedded");
    client = createMemoryMirrorClient({ url: server.url });
    await client.videoAnalysis.create.mutate({
      videoId: "real",
      description: "a walk on the beach",
      embedding: { model: "m", values: [1, 0, 0] },
    });
  });
  afterAll(() => server?.close());

  const failure = (e: unknown) => ({ code: errorCode(e), message: (e as Error).message });

  it("refuses an all-zero embedding, stored or queried, with a message (tRPC, REST)", async () => {
    const zero = { model: "m", values: [0, 0, 0] };
    const lengthZero = "embedding.values must not be all zeros (a vector of length 0 has no direction to compare)";
    expect(
      failure(
        await client.videoAnalysis.create
          .mutate({ videoId: "z", description: "d", embedding: zero })
          .catch((e: unknown) => e),
      ),
    ).toEqual({ code: "BAD_REQUEST", message: lengthZero });
    expect(failure(await client.videoAnalysis.search.query({ embedding: zero }).catch((e: unknown) => e))).toEqual({
      code: "BAD_REQUEST",
      message: lengthZero,
    });
    // Values too small for a 32-bit float's square are length 0 too.
    const tiny = { model: "m", values: [1e-30, 0, 0] };
    expect(
      errorCode(await client.videoAnalysis.context.query({ embedding: tiny, maxChars: 1000 }).catch((e: unknown) => e)),
    ).toBe("BAD_REQUEST");
    const rest = await fetch(`${server.url}/api/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ embedding: zero }),
    });
    expect(rest.status).toBe(422);
  });

  it("searches past a zero vector stored by an older version: no similarity for it, never a 500", async () => {
    await client.videoAnalysis.create.mutate({
      videoId: "legacy",
      description: "stored before zero vectors were refused",
      embedding: { model: "m", values: [1, 1, 1] },
    });
    await server.server.database.prisma.$executeRaw`
      UPDATE "VideoAnalysis" SET "embedding" = '[0,0,0]'::vector WHERE "videoId" = 'legacy'`;
    const { items } = await client.videoAnalysis.search.query({ embedding: { model: "m", values: [1, 0, 0] } });
    expect(items[0]).toMatchObject({ analysis: { videoId: "real" } });
    for (const item of items) expect(Number.isNaN(item.score)).toBe(false);
    const context = await client.videoAnalysis.context.query({
      embedding: { model: "m", values: [0, 1, 0] },
      maxChars: 1000,
    });
    expect(context.text).not.toContain("NaN");
  });
});
