import { createMemoryMirrorClient, type MemoryMirrorClient } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { runMm } from "./support/run-mm.ts";

let server: TestServer;
let typed: MemoryMirrorClient;
beforeAll(async () => {
  server = await startTestServer("embedded");
  typed = createMemoryMirrorClient({ url: server.url });
});
afterAll(async () => {
  await server?.close();
});

/** Runs `mm watch …`; once it says it is watching, makes the writes, and stops it (Ctrl-C) when `done(stdout)`. */
function watchWhile(args: string[], write: () => Promise<unknown>, done: (stdout: string) => boolean) {
  let wrote = false;
  return runMm(["watch", ...args], {
    url: server.url,
    onStderr: (stderr) => {
      if (wrote || !stderr.includes("watching for changes")) return;
      wrote = true;
      void write();
    },
    onStdout: (stdout, interrupt) => {
      if (done(stdout)) interrupt();
    },
  });
}

describe("mm watch", () => {
  it("--json prints a write made through the typed client as one JSON object per line, and Ctrl-C exits 0", async () => {
    const r = await watchWhile(
      ["--json"],
      () => typed.videoAnalysis.upsert.mutate({ videoId: "vid_watch_json", description: "A dog digs in the sand." }),
      (stdout) => stdout.includes("vid_watch_json"),
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0] ?? "") as { id: string };
    expect(event.id).toMatch(/^\d+$/);
    expect(event).toMatchObject({
      type: "created",
      videoId: "vid_watch_json",
      version: 1,
      analysis: { description: "A dog digs in the sand." },
    });
  });

  it("--tags prints only changes to analyses carrying the tags, one human line each", async () => {
    const r = await watchWhile(
      ["--tags", "family"],
      async () => {
        // In this order: were the filter ignored, the work change would arrive first.
        await typed.videoAnalysis.upsert.mutate({ videoId: "vid_watch_work", description: "Slides.", tags: ["work"] });
        await typed.videoAnalysis.upsert.mutate({
          videoId: "vid_watch_family",
          description: "Mia blows out the candles.",
          tags: ["family"],
        });
      },
      (stdout) => stdout.includes("vid_watch_family"),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("vid_watch_work");
    expect(r.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^\S+Z\tcreated\tvid_watch_family\tv1\tMia blows out the candles\.$/),
    ]);
  });
});
