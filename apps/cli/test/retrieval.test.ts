import { createMemoryMirrorClient } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { type MmOptions, runMm } from "./support/run-mm.ts";

const mm = (args: string[], options: MmOptions = {}) => runMm(args, { url: server.url, ...options });
const NOW = ["--now", "2026-12-06T12:00:00Z"];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer("embedded");
  await createMemoryMirrorClient({ url: server.url }).videoAnalysis.upsertMany.mutate({
    items: [
      {
        videoId: "beach19",
        tags: ["beach", "family"],
        recordedAt: "2019-07-14T11:00:00+01:00",
        metadata: { place: "Cascais" },
        description: "A day at the beach: Leo builds a sandcastle and Mia collects shells.",
      },
      {
        videoId: "beach26",
        tags: ["beach"],
        recordedAt: "2026-07-20T10:30:00+01:00",
        metadata: { place: "Porto" },
        description: "A day at the beach: Leo builds a sandcastle and the picnic gets sandy.",
      },
      {
        videoId: "undated",
        tags: ["beach"],
        description: "An old beach video: a sandcastle nobody remembers building.",
      },
    ],
  });
});
afterAll(async () => {
  await server?.close();
});

const lines = (stdout: string) => stdout.trimEnd().split("\n");

describe("mm search", () => {
  it("prints one tab-separated line per hit: score, videoId, recording (or stored) day, start of the description", async () => {
    const r = await mm(["search", "sandcastle", "at", "the", "beach"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const rows = lines(r.stdout).map((l) => l.split("\t"));
    expect(rows.map((row) => row[1]).sort()).toEqual(["beach19", "beach26", "undated"]);
    for (const [score] of rows) expect(score).toMatch(/^[01]\.\d\d$/);
    expect(rows.find((row) => row[1] === "beach19")?.slice(2)).toEqual([
      "2019-07-14",
      "A day at the beach: Leo builds a sandcastle and Mia collect…",
    ]);
    expect(rows.find((row) => row[1] === "undated")?.[2]).toMatch(/^stored \d{4}-\d{2}-\d{2}$/);
  });

  it("--when searches that period and says on stderr how it was read; --recorded-after/--meta/--tags narrow", async () => {
    const r = await mm(["search", "sandcastle", "--when", "last summer", ...NOW]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Recorded 2026-06-01 to 2026-08-31 ("last summer").\n');
    expect(lines(r.stdout).map((l) => l.split("\t")[1])).toEqual(["beach26"]);

    const filtered = await mm([
      "search",
      "sandcastle",
      "--recorded-before",
      "2020-01-01T00:00:00Z",
      "--meta",
      "place=Cascais",
      "--tags",
      "family",
    ]);
    expect(lines(filtered.stdout).map((l) => l.split("\t")[1])).toEqual(["beach19"]);
  });

  it("--limit and --min-score reach the server; no hit says so on stderr and exits 0", async () => {
    expect(lines((await mm(["search", "sandcastle", "--limit", "1"])).stdout)).toHaveLength(1);
    const none = await mm(["search", "volcano", "eruption"]);
    expect(none).toEqual({
      code: 0,
      stdout: "",
      stderr: "(no memory scores 0.5 or more; a lower --min-score shows weaker matches)\n",
    });
    const weak = ["search", "sandcastle", "volcano", "eruption", "lava"];
    expect((await mm(weak)).stdout).toBe("");
    expect(lines((await mm([...weak, "--min-score", "0.1"])).stdout).length).toBeGreaterThan(0);
  });

  it("--json prints the API's answer: items with analysis and score, and when", async () => {
    const r = await mm(["search", "sandcastle", "--when", "summer 2019", ...NOW, "--json"]);
    expect(r.code).toBe(0);
    const output = JSON.parse(r.stdout) as { items: { analysis: { videoId: string }; score: number }[] };
    expect(output).toMatchObject({
      items: [
        { analysis: { videoId: "beach19", metadata: { place: "Cascais" } }, score: expect.any(Number) as number },
      ],
      when: { phrase: "summer 2019", from: "2019-06-01T00:00:00Z", to: "2019-09-01T00:00:00Z" },
    });
  });

  it("an unreadable --when exits 2 with the server's message naming the phrase", async () => {
    const r = await mm(["search", "beach", "--when", "when Leo was little"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('"when Leo was little" is not a time I can read');
    expect(r.stderr).not.toContain("    at ");
  });

  it("option values the server would refuse are usage errors before any call", async () => {
    const bad = [
      ["--min-score", "2"],
      ["--min-score", ""],
      ["--now", "2026-12-06T12:00:00"],
      ["--limit", "101"],
      ["--recorded-after", "yesterday"],
    ];
    for (const option of bad) {
      const r = await mm(["search", "beach", "--when", "2019", ...option], { url: "http://127.0.0.1:9" });
      expect(r.code, option.join(" ")).toBe(2);
      expect(r.stderr, option.join(" ")).toMatch(/error: option '--[a-z-]+ <\w+>' argument .* is invalid/);
    }
    expect((await mm(["search"])).stderr).toContain("missing required argument 'query'");
  });
});

describe("mm context", () => {
  it("prints the context text as the API writes it, dated headers first", async () => {
    const r = await mm(["context", "sandcastle", "--meta", "place=Cascais"]);
    expect(r).toEqual({
      code: 0,
      stdout:
        "## 2019-07-14 · beach19 · beach, family\n" +
        "A day at the beach: Leo builds a sandcastle and Mia collects shells.\n\n" +
        "(1 of 1 memory considered included.)\n",
      stderr: "",
    });
  });

  it("--when notes the period on stderr; --max-chars bounds the text; --json prints sources and when", async () => {
    const r = await mm(["context", "sandcastle", "--when", "last summer", ...NOW]);
    expect(r.stderr).toBe('Recorded 2026-06-01 to 2026-08-31 ("last summer").\n');
    expect(r.stdout).toMatch(/^## 2026-07-20 · beach26 · beach\n/);

    const json = await mm(["context", "sandcastle", "--max-chars", "200", "--json"]);
    const output = JSON.parse(json.stdout) as { text: string; sources: unknown[]; truncated: boolean };
    expect(output.text.length).toBeLessThanOrEqual(200);
    expect(output.truncated).toBe(true);
    expect((await mm(["context", "sandcastle", "--max-chars", "199"])).code).toBe(2);
  });

  it("an empty explicit range is a usage error saying why", async () => {
    const r = await mm([
      "context",
      "beach",
      "--recorded-after",
      "2020-01-01T00:00:00Z",
      "--recorded-before",
      "2020-01-01T00:00:00Z",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("recordedBefore must be later than recordedAfter");
  });
});
