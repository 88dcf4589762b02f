/**
 * How change streams end and are refused, on a real server over each database: a consumer that stops reading is cut
 * with its last id (its socket really stops reading) instead of the server queueing for it, and resumes with nothing
 * lost; resuming from a pruned id answers "resync" first; past MAX_STREAMS or MAX_STREAMS_PER_KEY the answer is a
 * clear 429 on both transports; stopping the server ends its streams cleanly, without tRPC's "return".
 */
import { get, type IncomingMessage } from "node:http";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { pruneChanges } from "@memory-mirror/api";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { readSse, type SseEvent } from "./support/sse.ts";

const targets = await testTargets();

/** The SSE events in a raw body: each block's id and parsed data. */
function eventsIn(text: string): { id: string | undefined; data: Record<string, unknown> }[] {
  return text
    .split("\n\n")
    .map((block) => {
      const lines = block.split("\n");
      const id = lines.find((l) => l.startsWith("id: "))?.slice(4);
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
      return { id, data: data ? (JSON.parse(data) as Record<string, unknown>) : undefined };
    })
    .filter((e): e is { id: string | undefined; data: Record<string, unknown> } => !!e.data && "type" in e.data);
}

/**
 * A stream over node:http whose reader stops reading once it has the "ready" event: with the response paused, node
 * stops reading the socket, the kernel's buffers fill, and the server can write no more.
 */
async function pausedStream(url: string): Promise<{ resume(): Promise<string> }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    get(url, { headers: { accept: "text/event-stream" } }, resolve).on("error", reject),
  );
  expect(response.statusCode).toBe(200);
  response.setEncoding("utf8");
  let text = "";
  await new Promise<void>((resolve) => {
    const onData = (chunk: string) => {
      text += chunk;
      if (!text.includes('"ready"')) return;
      response.off("data", onData);
      response.pause();
      resolve();
    };
    response.on("data", onData);
  });
  return {
    resume: () =>
      new Promise((resolve, reject) => {
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve(text));
        response.on("error", reject);
        response.resume();
      }),
  };
}

const metric = async (url: string, line: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${line.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
};

for (const target of targets) {
  describe.skipIf(!!target.skip)(`change streams' ends and limits on the ${target.name} database`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name, { streamMaxQueued: 20 });
    });
    afterAll(() => server?.close());

    for (const transport of ["rest", "trpc"] as const) {
      it(`cuts a ${transport} consumer that stopped reading with its last id, and it resumes with nothing lost`, async () => {
        const path =
          transport === "rest" ? "/api/changes" : `/trpc/videoAnalysis.onChange?input=${encodeURIComponent("{}")}`;
        const stream = await pausedStream(`${server.url}${path}`);
        const client = createMemoryMirrorClient({ url: server.url });
        // ≈ 10 MB of events, far beyond what the socket buffers of both ends hold.
        const description = "x".repeat(45_000);
        const written: string[] = [];
        for (let batch = 0; batch < 11; batch++) {
          const items = Array.from({ length: 20 }, (_, i) => ({
            videoId: `${transport}-${batch}-${String(i).padStart(2, "0")}`,
            description,
          }));
          await client.videoAnalysis.upsertMany.mutate({ items });
          written.push(...items.map((item) => item.videoId));
        }
        // Cut while its reader still reads nothing: what it missed stays in the log, not in the server's memory.
        await expect
          .poll(() => metric(server.url, 'mm_change_streams_cut_total{reason="slow_consumer"}'))
          .toBeGreaterThanOrEqual(transport === "rest" ? 1 : 2);
        const received = eventsIn(await stream.resume()).filter((e) => e.data.type === "created");
        expect(received.length).toBeGreaterThan(0);
        expect(received.length).toBeLessThan(written.length);
        const seen = received.map((e) => (transport === "rest" ? e.data.video_id : e.data.videoId));
        expect(seen).toEqual(written.slice(0, seen.length));
        // Resuming from the last id it got delivers the rest, once each.
        const resumed = await readSse(`${server.url}/api/changes`, { "last-event-id": received.at(-1)!.id! });
        const rest = await resumed.until(written.length - seen.length);
        resumed.close();
        expect(rest.map((e) => (JSON.parse(e.data) as { video_id: string }).video_id)).toEqual(
          written.slice(seen.length),
        );
      });
    }

    it("answers a resume from a pruned id with resync first, then the changes kept (REST and tRPC)", async () => {
      const client = createMemoryMirrorClient({ url: server.url, space: "pruned" });
      const first = await readSse(`${server.url}/api/changes`, { "x-mm-space": "pruned" });
      await first.until(1);
      await client.videoAnalysis.create.mutate({ videoId: "p1", description: "seen" });
      const [, seen] = await first.until(2);
      first.close();
      await client.videoAnalysis.create.mutate({ videoId: "p2", description: "pruned before anyone read it" });
      // What the background pruning does once CHANGES_RETENTION has passed: everything recorded so far goes.
      expect(await pruneChanges(server.server.database.prisma, new Date(Date.now() + 1000))).toBeGreaterThan(0);
      await client.videoAnalysis.create.mutate({ videoId: "p3", description: "kept" });
      const rest = await readSse(`${server.url}/api/changes`, { "x-mm-space": "pruned", "last-event-id": seen!.id! });
      expect(parsed(await rest.until(2))).toMatchObject([{ type: "resync" }, { type: "created", video_id: "p3" }]);
      rest.close();
      const events: { type: string }[] = [];
      const subscription = client.videoAnalysis.onChange.subscribe(
        { lastEventId: seen!.id! },
        { onData: ({ data }) => void events.push(data) },
      );
      await expect.poll(() => events.length).toBe(2);
      subscription.unsubscribe();
      expect(events).toMatchObject([
        { type: "resync", reason: expect.stringContaining("pruned") as string },
        { type: "created", videoId: "p3" },
      ]);
    });
  });
}

const parsed = (events: SseEvent[]) => events.map((e) => JSON.parse(e.data) as Record<string, unknown>);

for (const target of targets) {
  describe.skipIf(!!target.skip)(`stream limits on the ${target.name} database`, () => {
    let server: TestServer;
    const keys: string[] = [];
    beforeAll(async () => {
      server = await startTestServer(target.name, { auth: "required", maxStreams: 4, maxStreamsPerKey: 2 });
      for (const name of ["k1", "k2", "k3"])
        keys.push(await server.createKey({ name, space: "limits", scopes: ["read"] }));
    });
    afterAll(() => server?.close());

    const open = (key: string, transport: "rest" | "trpc") =>
      fetch(
        transport === "rest" ? `${server.url}/api/changes` : `${server.url}/trpc/videoAnalysis.onChange?input=%7B%7D`,
        { headers: { authorization: `Bearer ${key}`, accept: "text/event-stream" } },
      );
    const refusal = async (response: Response) => {
      const body = (await response.json()) as { detail?: string; error?: { message: string } };
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        message: body.detail ?? body.error?.message,
      };
    };

    it("answers 429 naming MAX_STREAMS_PER_KEY, then MAX_STREAMS, on both transports, and frees slots on close", async () => {
      const [k1, k2, k3] = keys as [string, string, string];
      const held = [await open(k1, "rest"), await open(k1, "trpc")];
      expect(held.map((r) => r.status)).toEqual([200, 200]);
      for (const transport of ["rest", "trpc"] as const) {
        expect(await refusal(await open(k1, transport))).toEqual({
          status: 429,
          retryAfter: "5",
          message: expect.stringContaining("MAX_STREAMS_PER_KEY=2") as string,
        });
      }
      held.push(await open(k2, "trpc"), await open(k2, "rest"));
      expect(held.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      for (const transport of ["rest", "trpc"] as const) {
        expect(await refusal(await open(k3, transport))).toEqual({
          status: 429,
          retryAfter: "5",
          message: expect.stringContaining("MAX_STREAMS=4") as string,
        });
      }
      expect(await metric(server.url, "mm_change_streams_open")).toBe(4);
      await held[0]!.body!.cancel();
      await expect
        .poll(async () => {
          const again = await open(k3, "rest");
          await again.body?.cancel();
          return again.status;
        })
        .toBe(200);
      for (const response of held.slice(1)) await response.body!.cancel();
      await expect.poll(() => metric(server.url, "mm_change_streams_open")).toBe(0);
    });

    it("ends open streams cleanly when the server stops: the REST body ends, tRPC's without a return event", async () => {
      const [k1, k2] = keys as [string, string];
      const rest = await readSse(`${server.url}/api/changes`, { authorization: `Bearer ${k1}` });
      const trpc = await readSse(`${server.url}/trpc/videoAnalysis.onChange?input=%7B%7D`, {
        authorization: `Bearer ${k2}`,
      });
      await Promise.all([rest.until(1), trpc.until(2)]);
      await server.server.stop();
      expect(await rest.ended).toBe("end");
      expect(await trpc.ended).toBe("end");
      // tRPC's client treats "return" as the subscription completing; without it, it reconnects and resumes.
      expect(trpc.events.map((e) => e.event)).not.toContain("return");
    });
  });
}
