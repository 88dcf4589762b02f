import { createMemoryMirrorClient, type MemoryMirrorClient } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy } from "@memory-mirror/db/testing";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { closedPort, runMm } from "./support/run-mm.ts";

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

  it("--limit 2 exits 0 by itself after the second change, printing two", async () => {
    const r = await watchWhile(
      ["--json", "--limit", "2", "--video-id", "vid_watch_limit"],
      async () => {
        for (const description of ["one", "two", "three"])
          await typed.videoAnalysis.upsert.mutate({ videoId: "vid_watch_limit", description });
      },
      // Never interrupted: it must stop on its own.
      () => false,
    );
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { version: number }).version),
    ).toEqual([1, 2]);
  });

  it("resumes after a dropped connection from the last event: a change made meanwhile once, nothing twice", async () => {
    // A TCP proxy between mm and the server, to cut the stream as a flaky network would.
    const proxy = await startFaultProxy(server.url);
    try {
      let step = 0;
      const r = await runMm(["watch", "--json", "--video-id", "vid_watch_a", "--video-id", "vid_watch_b"], {
        url: `http://127.0.0.1:${proxy.port}`,
        onStderr: (stderr) => {
          if (step === 0 && stderr.includes("watching for changes")) {
            step = 1;
            void typed.videoAnalysis.upsert.mutate({ videoId: "vid_watch_a", description: "before the cut" });
          }
          if (step === 2 && stderr.includes("reconnecting")) {
            step = 3;
            void (async () => {
              await typed.videoAnalysis.upsert.mutate({ videoId: "vid_watch_b", description: "while cut off" });
              await proxy.set("pass");
            })();
          }
        },
        onStdout: (stdout, interrupt) => {
          if (step === 1 && stdout.includes("vid_watch_a")) {
            step = 2;
            void proxy.set("drop");
          }
          if (stdout.includes("vid_watch_b")) interrupt();
        },
      });
      expect(r.code).toBe(0);
      const events = r.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { videoId: string; analysis?: { description: string } });
      expect(events.map((e) => [e.videoId, e.analysis?.description])).toEqual([
        ["vid_watch_a", "before the cut"],
        ["vid_watch_b", "while cut off"],
      ]);
      expect(r.stderr).toContain("reconnected");
    } finally {
      await proxy.close();
    }
  });

  it("a server that is not there exits 4 rather than waiting for changes that never come", async () => {
    const r = await runMm(["watch"], { url: `http://127.0.0.1:${await closedPort()}` });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot reach Memory Mirror");
  });

  it("without a valid key on a server that requires one, exits 5 saying how to pass a key", async () => {
    const secured = await startTestServer("embedded", { auth: "required" });
    try {
      const r = await runMm(["watch"], { url: secured.url, env: { MM_API_KEY: "mm_not_a_real_key" } });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("MM_API_KEY");
    } finally {
      await secured.close();
    }
  });
});
