/**
 * Regression tests for "one scope declaration per operation": every procedure declares its scopes, and tRPC, REST
 * (HEAD included) and MCP enforce that one declaration. A write-only key (a producer's) writes but never reads
 * stored content back, not even through a write's answer.
 */
import { accessOf, appRouter, type ProcedurePath } from "@memory-mirror/api";
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const failure = (e: unknown) => ({ code: errorCode(e), message: (e as Error).message });

describe("scope declarations", () => {
  it("every procedure declares the scopes it needs", () => {
    for (const path of Object.keys(appRouter._def.procedures)) {
      expect(accessOf(path as ProcedurePath).scopes.length, path).toBeGreaterThan(0);
    }
  });
});

describe("one declaration enforced by every transport (embedded, AUTH=required)", () => {
  let server: TestServer;
  let reader: string;
  let producer: string;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    server = await startTestServer("embedded", { auth: "required", keyCacheMs: 100 });
    reader = await server.createKey({ name: "reader", space: "alice", scopes: ["read"] });
    producer = await server.createKey({ name: "producer", space: "alice", scopes: ["write"] });
    const owner = await server.createKey({ name: "owner", space: "alice", scopes: ["read", "write"] });
    const asOwner = createMemoryMirrorClient({ url: server.url, apiKey: owner });
    await asOwner.videoAnalysis.create.mutate({
      videoId: "secret",
      description: "what only readers may see",
      tags: ["private"],
    });
  });
  afterAll(() => server?.close());

  it("HEAD on REST needs read, as GET does", async () => {
    const head = await fetch(`${server.url}/api/video-analysis/secret`, { method: "HEAD", headers: bearer(reader) });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBeTruthy();
    const list = await fetch(`${server.url}/api/video-analysis/`, { method: "HEAD", headers: bearer(reader) });
    expect(list.status).toBe(200);
    const producerHead = await fetch(`${server.url}/api/video-analysis/secret`, {
      method: "HEAD",
      headers: bearer(producer),
    });
    expect(producerHead.status).toBe(403);
  });

  it("a write-only key writes, but reads nothing back through a write's answer on any transport", async () => {
    const asProducer = createMemoryMirrorClient({ url: server.url, apiKey: producer });
    // Writes that answer only what was sent, or counts, are allowed.
    expect(
      await asProducer.videoAnalysis.create.mutate({ videoId: "p1", description: "from the producer" }),
    ).toMatchObject({ videoId: "p1", version: 1 });
    expect(
      await asProducer.videoAnalysis.upsertMany.mutate({ items: [{ videoId: "p2", description: "bulk" }] }),
    ).toEqual({ created: 1, updated: 0, unchanged: 0 });
    expect(await asProducer.videoAnalysis.deleteMany.mutate({ videoIds: ["p2"] })).toEqual({ deleted: 1 });

    // Writes whose answer holds stored content need read too: an update that changes nothing used to return it.
    const lacksRead = { code: "FORBIDDEN", message: 'This key (producer) lacks the "read" scope this operation needs' };
    expect(
      failure(
        await asProducer.videoAnalysis.update
          .mutate({ videoId: "secret", description: "what only readers may see" })
          .catch((e: unknown) => e),
      ),
    ).toEqual(lacksRead);
    expect(
      failure(
        await asProducer.videoAnalysis.upsert
          .mutate({ videoId: "secret", description: "what only readers may see" })
          .catch((e: unknown) => e),
      ),
    ).toEqual(lacksRead);
    expect(
      failure(await asProducer.videoAnalysis.delete.mutate({ videoId: "secret" }).catch((e: unknown) => e)),
    ).toEqual(lacksRead);

    const put = await fetch(`${server.url}/api/video-analysis/secret`, {
      method: "PUT",
      headers: { ...bearer(producer), "content-type": "application/json" },
      body: JSON.stringify({ description: "what only readers may see" }),
    });
    expect(put.status).toBe(403);
    expect(await put.json()).toEqual({ detail: lacksRead.message });

    const mcp = await connectMcp(server.url, bearer(producer));
    const tool = await mcp.callTool({
      name: "update_video_analysis",
      arguments: { videoId: "secret", description: "what only readers may see" },
    });
    expect(tool.isError).toBe(true);
    expect(JSON.stringify(tool.content)).not.toContain("private");
    await mcp.close();

    const asReader = createMemoryMirrorClient({ url: server.url, apiKey: reader });
    expect(await asReader.videoAnalysis.byVideoId.query({ videoId: "secret" })).toMatchObject({
      description: "what only readers may see",
      version: 1,
    });
  });
});
