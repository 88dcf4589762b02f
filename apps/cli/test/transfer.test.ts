/**
 * `mm export` and `mm import` as a person runs them: child processes against real servers on both kinds of
 * database, a lossless round trip of 10,000 analyses in both directions, line-numbered errors, exit codes, no
 * progress bar where no terminal reads it, and an interrupted import finished by running it again.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMemoryMirrorClient, type MemoryMirrorClient } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MmOptions, runMm } from "./support/run-mm.ts";

const targets = await testTargets();
const postgres = !targets.find((t) => t.name === "postgres")?.skip;

/** The real CLI in a child process against the server at `url`. */
const mm = (url: string, args: string[], options: MmOptions = {}) => runMm(args, { url, ...options });

/**
 * 10,000 analyses of every shape: tags or none, vectors of several models and sizes or none, recording times in
 * several offsets or none, metadata nested or none, Unicode, newlines, versions > 1.
 */
async function seed(client: MemoryMirrorClient, n: number) {
  for (let start = 0; start < n; start += 500) {
    const items = Array.from({ length: Math.min(500, n - start) }, (_, k) => {
      const i = start + k;
      return {
        videoId: `vid-${String(i).padStart(5, "0")}${i % 97 === 0 ? "-é🎬" : ""}`,
        description: `Scene ${i}: a person "waves"\nat the camera ${"…".repeat(i % 5)}`,
        tags: i % 3 === 0 ? [] : [`family`, `n${i % 7}`],
        ...(i % 4 === 0
          ? {}
          : {
              embedding: {
                model: i % 2 ? "marengo-2.7" : "clip",
                values: Array.from({ length: 8 + (i % 3) }, (_, d) => Math.sin(i * 31 + d) / (d + 1)),
              },
            }),
        ...(i % 5 === 0
          ? {}
          : {
              recordedAt: `20${String(10 + (i % 10))}-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:30:00.${String(i % 1000).padStart(3, "0")}${["Z", "+02:00", "-05:30", "+09:45"][i % 4]}`,
            }),
        ...(i % 6 === 0
          ? {}
          : {
              metadata: {
                place: i % 2 ? "Lisbon" : "Porto",
                n: i,
                people: ["Leo", `p${i % 13}`],
                deep: { ok: i % 3 === 0, x: null },
              },
            }),
      };
    });
    await client.videoAnalysis.upsertMany.mutate({ items });
  }
  // Some second versions (history and version > 1 travel through the versions and timestamps).
  const changed = Array.from({ length: 100 }, (_, k) => ({
    videoId: `vid-${String(k * 37).padStart(5, "0")}${(k * 37) % 97 === 0 ? "-é🎬" : ""}`,
    description: `edited ${k}`,
  }));
  await client.videoAnalysis.upsertMany.mutate({ items: changed });
}

const lines = (text: string) => text.split("\n").filter(Boolean);

describe("mm export | mm import", () => {
  let dir: string;
  const servers: TestServer[] = [];
  const start = async (target: "embedded" | "postgres", overrides: Parameters<typeof startTestServer>[1] = {}) => {
    const server = await startTestServer(target, overrides);
    servers.push(server);
    return server;
  };
  /** Servers in the test process cost CPU the other packages' tests share: PostgreSQL's run elsewhere. */
  const cheapest = postgres ? "postgres" : "embedded";

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mm-transfer-"));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  // PostgreSQL → embedded → PostgreSQL: both directions, with one embedded database in this (CPU-shared) process.
  it(
    `round-trips 10,000 analyses byte for byte: ${postgres ? "PostgreSQL → embedded → PostgreSQL" : "embedded → embedded → embedded"}`,
    { timeout: 240_000 },
    async () => {
      const a = await start(cheapest);
      await seed(createMemoryMirrorClient({ url: a.url }), 10_000);
      const fileA = path.join(dir, "a.ndjson");
      // No progress lines here (they have their own test): on a loaded machine these outlast their interval.
      const exported = await mm(a.url, ["export", "-o", fileA, "--progress-every", "0"]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toMatch(/^mm export: 10000 analyses in [\d.]+ s \(\d+ rows\/s\) to .*a\.ndjson\n$/);
      const textA = await readFile(fileA, "utf8");
      const rows = lines(textA).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows).toHaveLength(10_000);
      expect(Object.keys(rows[1] ?? {})).toEqual([
        "id",
        "videoId",
        "description",
        "tags",
        "embedding",
        "recordedAt",
        "metadata",
        "version",
        "createdAt",
        "updatedAt",
      ]);
      expect(rows.filter((r) => r.version === 2)).toHaveLength(100);
      expect(rows.find((r) => r.videoId === "vid-00001")?.embedding).toEqual({
        model: "marengo-2.7",
        values: expect.any(Array) as unknown[],
      });

      // Into the other kind of database, and back into a third, empty one.
      const b = await start("embedded");
      const imported = await mm(b.url, ["import", fileA, "--progress-every", "0"]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stderr).toMatch(
        /^mm import: 10000 lines: 10000 created, 0 updated, 0 unchanged, 0 failed in [\d.]+ s \(\d+ lines\/s\)\n$/,
      );
      const fileB = path.join(dir, "b.ndjson");
      expect((await mm(b.url, ["export", "-o", fileB])).code).toBe(0);
      expect(await readFile(fileB, "utf8")).toBe(textA);

      const c = await start(cheapest);
      expect((await mm(c.url, ["import", fileB])).code).toBe(0);
      const back = await mm(c.url, ["export"]);
      expect(back.stdout).toBe(textA);

      // Importing the same file again changes nothing.
      const again = await mm(b.url, ["import", fileA, "--json"]);
      expect(JSON.parse(again.stdout)).toMatchObject({
        lines: 10_000,
        created: 0,
        updated: 0,
        unchanged: 10_000,
        failed: 0,
      });
    },
  );

  it("an interrupted import, run again, finishes the job with no duplicates", { timeout: 120_000 }, async () => {
    // An export as mm writes it (values exact in float4, so they come back as written).
    const total = 3000;
    const file = path.join(dir, "resume.ndjson");
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 7) * 1000).toISOString();
    const line = (i: number) =>
      JSON.stringify({
        id: `id-${String(i).padStart(5, "0")}`,
        videoId: `resume-${i}`,
        description: `Scene ${i}`,
        tags: i % 2 ? ["odd"] : [],
        embedding: i % 3 ? { model: "m", values: [i, 0.5, -0.25] } : null,
        recordedAt: i % 5 ? `2019-07-14T10:00:0${i % 10}+02:00` : null,
        metadata: i % 2 ? { n: i } : null,
        version: 1 + (i % 4),
        createdAt: at(i),
        updatedAt: at(i + 3),
      });
    await writeFile(file, Array.from({ length: total }, (_, i) => `${line(i)}\n`).join(""));

    const target = await start(cheapest);
    // Ctrl-C once the first progress line shows rows stored.
    // Small batches one at a time, so there is time to interrupt it.
    const first = await mm(
      target.url,
      ["import", file, "--batch", "20", "--parallel", "1", "--progress-every", "0.05"],
      {
        onStderr: (text, kill) => {
          if (/mm import: [1-9]\d* rows/.test(text)) kill();
        },
      },
    );
    expect(first.code).toBe(130);
    expect(first.stderr).toContain("run the same command again to finish");
    const typed = createMemoryMirrorClient({ url: target.url });
    const partial = (await typed.videoAnalysis.export.query({ limit: 1 })).total ?? 0;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(total);

    const second = await mm(target.url, ["import", file, "--json"]);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout) as { created: number; unchanged: number; updated: number };
    expect(summary.created + summary.unchanged).toBe(total);
    expect(summary.updated).toBe(0);
    expect(summary.unchanged).toBeGreaterThanOrEqual(partial - 100);
    expect((await mm(target.url, ["export"])).stdout).toBe(await readFile(file, "utf8"));
  });

  describe("errors, exit codes and progress", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await start(cheapest);
    });

    const good = (videoId: string, description = `about ${videoId}`) =>
      JSON.stringify({ videoId, description, tags: ["x"] });
    const file = async (name: string, content: string) => {
      const p = path.join(dir, name);
      await writeFile(p, content);
      return p;
    };

    it("reports each malformed line with its number and reason, skips it, stores the rest, and exits 2", async () => {
      const p = await file(
        "bad.ndjson",
        [
          good("e-1"),
          "{not json",
          good("e-2"),
          JSON.stringify({ videoId: "e-3", description: "  " }),
          "",
          JSON.stringify({ videoId: "e-4", description: "d", extra: 1 }),
          good("e-5"),
        ].join("\n"),
      );
      const r = await mm(server.url, ["import", p]);
      expect(r.code).toBe(2);
      const stderr = lines(r.stderr);
      expect(stderr[0]).toMatch(/^mm import: line 2: not JSON \(.+\)$/);
      expect(stderr.slice(1, 3)).toEqual([
        "mm import: line 4: description: description must not be blank",
        'mm import: line 6: Unrecognized key: "extra"',
      ]);
      expect(stderr[3]).toMatch(/^mm import: 6 lines: 3 created, 0 updated, 0 unchanged, 3 failed in/);
      expect(stderr[4]).toBe("mm: 3 lines failed (reported above)");
      const typed = createMemoryMirrorClient({ url: server.url });
      const stored = (await typed.videoAnalysis.byVideoIds.query({ videoIds: ["e-1", "e-2", "e-3", "e-5"] })).items.map(
        (i) => i?.videoId ?? null,
      );
      expect(stored).toEqual(["e-1", "e-2", null, "e-5"]);
    });

    // Regressions: these ended in an unhandled stream error (a stack trace, exit 1) instead of a message.
    it("a file that cannot be read or written is a usage error (exit 2) that names it", async () => {
      const missing = path.join(dir, "no-such-dir", "x.ndjson");
      const exported = await mm(server.url, ["export", "-o", missing]);
      expect(exported.code).toBe(2);
      expect(exported.stderr).toContain(`mm: cannot write ${missing}.partial: ENOENT`);
      expect(exported.stderr).not.toMatch(/\n\s+at /);
      const absent = await mm(server.url, ["import", path.join(dir, "absent.ndjson")]);
      expect(absent.code).toBe(2);
      expect(absent.stderr).toMatch(/^mm: cannot read .*absent\.ndjson: ENOENT[^\n]*\n$/);
      const directory = await mm(server.url, ["import", dir]);
      expect([directory.code, directory.stderr]).toEqual([2, `mm: cannot read ${dir}: not a file\n`]);
    });

    it("--strict stops at the first failed line, after storing the lines before it", async () => {
      const p = await file("strict.ndjson", [good("s-1"), good("s-2"), "[]", good("s-3")].join("\n"));
      const r = await mm(server.url, ["import", p, "--strict"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("mm import: line 3: ");
      expect(r.stderr).toContain("; stopped at line 3 (--strict)");
      const typed = createMemoryMirrorClient({ url: server.url });
      expect(
        (await typed.videoAnalysis.byVideoIds.query({ videoIds: ["s-1", "s-2", "s-3"] })).items.map(
          (i) => i?.videoId ?? null,
        ),
      ).toEqual(["s-1", "s-2", null]);
    });

    it("shows no progress bar without a terminal: plain lines only, no carriage returns or escape codes", async () => {
      const content = Array.from({ length: 3000 }, (_, i) => good(`p-${i}`)).join("\n");
      const r = await mm(server.url, ["import", "-", "--batch", "50", "--progress-every", "0.02"], { input: content });
      expect(r.code, r.stderr).toBe(0);
      // eslint-disable-next-line no-control-regex -- the point: no carriage return or ANSI escape (a progress bar) in the log
      expect(r.stderr).not.toMatch(/[\r\u001b]/);
      const progress = lines(r.stderr).slice(0, -1);
      expect(progress.length).toBeGreaterThan(0);
      for (const line of progress) expect(line).toMatch(/^mm import: \d+ rows, \d+ rows\/s$/);
      const quiet = await mm(server.url, ["import", "-", "--progress-every", "0"], { input: content });
      expect(lines(quiet.stderr)).toHaveLength(1);
    });

    it("a videoId twice in a file: the later line wins", async () => {
      const r = await mm(server.url, ["import", "-", "--json"], {
        input: `${good("twice", "first")}\n${good("twice", "second")}\n`,
      });
      expect(JSON.parse(r.stdout)).toMatchObject({ lines: 2, created: 1, updated: 1, failed: 0 });
      const typed = createMemoryMirrorClient({ url: server.url });
      expect((await typed.videoAnalysis.byVideoIds.query({ videoIds: ["twice"] })).items[0]?.description).toBe(
        "second",
      );
    });

    it("sends a batch again when its answer is lost on a reset connection: stored once, counted unchanged", async () => {
      // A proxy that forwards the first request but resets the connection as the answer comes back.
      let resets = 0;
      const target = new URL(server.url);
      const proxy = net.createServer((client) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        client.pipe(upstream);
        upstream.on("data", (chunk) => {
          if (resets === 0) {
            resets++;
            client.resetAndDestroy();
            upstream.destroy();
          } else client.write(chunk);
        });
        upstream.on("end", () => client.end());
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = proxy.address() as net.AddressInfo;
        const input = [good("lost-1"), good("lost-2"), good("lost-3")].join("\n");
        const r = await mm(`http://127.0.0.1:${port}`, ["import", "-", "--json"], { input });
        expect(r.code, r.stderr).toBe(0);
        expect(resets).toBe(1);
        expect(JSON.parse(r.stdout)).toMatchObject({ lines: 3, created: 0, unchanged: 3, failed: 0 });
      } finally {
        proxy.close();
      }
    });

    it("batches in flight never reorder two lines of one video", async () => {
      const input = Array.from({ length: 40 }, (_, i) => good(`order-${i % 3}`, `take ${i}`)).join("\n");
      const r = await mm(server.url, ["import", "-", "--batch", "1", "--parallel", "8"], { input });
      expect(r.code, r.stderr).toBe(0);
      const typed = createMemoryMirrorClient({ url: server.url });
      const { items } = await typed.videoAnalysis.byVideoIds.query({ videoIds: ["order-0", "order-1", "order-2"] });
      expect(items.map((i) => i?.description)).toEqual(["take 39", "take 37", "take 38"]);
    });

    it("export filters by tags and since, to stdout", async () => {
      const typed = createMemoryMirrorClient({ url: server.url });
      await typed.videoAnalysis.upsert.mutate({ videoId: "f-1", description: "tagged", tags: ["only-here"] });
      const tagged = await mm(server.url, ["export", "--tags", "only-here"]);
      expect(lines(tagged.stdout).map((l) => (JSON.parse(l) as { videoId: string }).videoId)).toEqual(["f-1"]);
      const future = await mm(server.url, ["export", "--since", "2999-01-01T00:00:00Z"]);
      expect({ code: future.code, stdout: future.stdout }).toEqual({ code: 0, stdout: "" });
      expect((await mm(server.url, ["export", "--since", "yesterday"])).code).toBe(2);
    });

    it("restoring versions needs an admin key (exit 5); --content-only imports the content with a write key", async () => {
      const locked = await start(cheapest, { auth: "required" });
      const key = await locked.createKey({ name: "writer", space: "alice", scopes: ["read", "write"] });
      const p = await file(
        "restore.ndjson",
        `${JSON.stringify({ id: "cmold1", videoId: "r-1", description: "old", tags: [], embedding: null, version: 5, createdAt: "2024-01-01T00:00:00.000Z", updatedAt: "2024-02-01T00:00:00.000Z" })}\n`,
      );
      const refused = await mm(locked.url, ["import", p], { env: { MM_API_KEY: key } });
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain("--content-only");
      const content = await mm(locked.url, ["import", p, "--content-only", "--json"], { env: { MM_API_KEY: key } });
      expect(content.code, content.stderr).toBe(0);
      expect(JSON.parse(content.stdout)).toMatchObject({ created: 1 });
      const typed = createMemoryMirrorClient({ url: locked.url, apiKey: key });
      const [got] = (await typed.videoAnalysis.byVideoIds.query({ videoIds: ["r-1"] })).items;
      expect(got?.version).toBe(1);
      expect(got?.createdAt).not.toBe("2024-01-01T00:00:00.000Z");
    });
  });
});
