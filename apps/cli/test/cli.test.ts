import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { closedPort, type MmOptions, runMm } from "./support/run-mm.ts";

/** Runs the real CLI in a child process, exactly as `pnpm mm` does, against the test server unless told otherwise. */
const mm = (args: string[], options: MmOptions = {}) => runMm(args, { url: server.url, ...options });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer("embedded");
});
afterAll(async () => {
  await server?.close();
});

// One server for the file: tests use their own videoIds, and the ls tests their own prefix.
describe("mm put / get", () => {
  it("put creates a new analysis and says 'created'", async () => {
    const r = await mm(["put", "vid_create", "A cat jumps onto a table."]);
    expect(r).toEqual({ code: 0, stdout: "created vid_create\n", stderr: "" });
  });

  it("put on an existing videoId updates it (no CONFLICT) and says 'updated'", async () => {
    await mm(["put", "vid_update", "first"]);
    const r = await mm(["put", "vid_update", "second"]);
    expect(r).toEqual({ code: 0, stdout: "updated vid_update\n", stderr: "" });
    expect((await mm(["get", "vid_update"])).stdout).toBe("second\n");
  });

  it("put - reads the description from stdin and drops exactly one trailing newline", async () => {
    const r = await mm(["put", "vid_stdin", "-"], { input: "line one\nline two\n\n" });
    expect(r.code).toBe(0);
    const got = JSON.parse((await mm(["get", "vid_stdin", "--json"])).stdout) as { description: string };
    expect(got.description).toBe("line one\nline two\n");
  });

  it("put - with empty stdin is a usage error, not an empty write", async () => {
    const r = await mm(["put", "vid_empty", "-"], { input: "\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("empty");
    expect((await mm(["get", "vid_empty"])).code).toBe(3);
  });

  it("put --json prints which action happened and the analysis", async () => {
    const r = await mm(["--json", "put", "vid_json_put", "text"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: "created",
      analysis: { videoId: "vid_json_put", description: "text" },
    });
  });

  it("put --recorded-at and --meta store the recording time and metadata; put without them keeps them", async () => {
    const r = await mm([
      "put",
      "vid_time",
      "Leo swims.",
      "--recorded-at",
      "2019-07-14T10:00:00+02:00",
      "--meta",
      "place=Lisbon",
      "--meta",
      "year:=2019",
      "--meta",
      'people:=["Leo","Mia"]',
      "--meta",
      "zip=01234",
    ]);
    expect(r).toEqual({ code: 0, stdout: "created vid_time\n", stderr: "" });
    await mm(["put", "vid_time", "Leo swims far."]);
    const got = JSON.parse((await mm(["get", "vid_time", "--json"])).stdout) as Record<string, unknown>;
    expect(got).toMatchObject({
      description: "Leo swims far.",
      recordedAt: "2019-07-14T10:00:00+02:00",
      metadata: { place: "Lisbon", year: 2019, people: ["Leo", "Mia"], zip: "01234" },
    });
  });

  it("put --recorded-at without an offset, or --meta that is not key=value, is a usage error saying why", async () => {
    const noOffset = await mm(["put", "vid_bad_time", "d", "--recorded-at", "2019-07-14T10:00:00"]);
    expect(noOffset.code).toBe(2);
    expect(noOffset.stderr).toContain("--recorded-at must be an ISO-8601 date-time with an offset");
    const badMeta = await mm(["put", "vid_bad_time", "d", "--meta", "place"]);
    expect(badMeta.code).toBe(2);
    expect(badMeta.stderr).toContain("expected key=value");
    const badJson = await mm(["put", "vid_bad_time", "d", "--meta", "n:={"]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain("is not JSON");
    expect((await mm(["get", "vid_bad_time"])).code).toBe(3);
  });

  it("get prints only the description on stdout", async () => {
    await mm(["put", "vid_get", "Two lines\nof text"]);
    expect(await mm(["get", "vid_get"])).toEqual({ code: 0, stdout: "Two lines\nof text\n", stderr: "" });
  });

  it("get --json (after the subcommand) prints the whole analysis with ISO dates", async () => {
    await mm(["put", "vid_get_json", "described"]);
    const r = await mm(["get", "vid_get_json", "--json"]);
    expect(r.code).toBe(0);
    const analysis = JSON.parse(r.stdout) as { createdAt: string };
    expect(Object.keys(analysis).sort()).toEqual([
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
    expect(analysis).toMatchObject({
      videoId: "vid_get_json",
      description: "described",
      id: expect.any(String) as string,
    });
    expect(new Date(analysis.createdAt).toISOString()).toBe(analysis.createdAt);
  });

  it("input the server rejects (blank videoId) exits 2 with its message and no stack trace", async () => {
    const r = await mm(["put", " ", "text"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mm: videoId must not be blank\n");
  });
});

describe("mm ls", () => {
  const ids = ["ls_a", "ls_b", "ls_c"];
  beforeAll(async () => {
    // Sequential, so createdAt follows this order.
    for (const id of ids) await mm(["put", id, `${id} first line\nsecond line`]);
  });

  it("lists newest first, one line each: videoId, updatedAt, first line of the description", async () => {
    const r = await mm(["ls", "--limit", "3"]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.split("\t"));
    expect(lines.map(([id]) => id)).toEqual(["ls_c", "ls_b", "ls_a"]);
    expect(lines[0]?.[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(lines[0]?.[2]).toBe("ls_c first line");
  });

  it("--limit N prints N lines and hints on stderr that more exist", async () => {
    const r = await mm(["ls", "--limit", "2"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(r.stderr).toContain("--all");
  });

  it("--all follows nextCursor across pages", async () => {
    const all = await mm(["ls", "--all", "--limit", "1"]);
    const single = await mm(["ls", "--limit", "1000"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(single.stdout);
    expect(all.stderr).toBe("");
  });

  it("--json prints items and nextCursor", async () => {
    const r = await mm(["ls", "--limit", "1", "--json"]);
    const page = JSON.parse(r.stdout) as { items: unknown[]; nextCursor: string | null };
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it("truncates a long first line so each entry stays one line", async () => {
    await mm(["put", "ls_long", "x".repeat(500)]);
    const line = (await mm(["ls", "--limit", "1"])).stdout.trimEnd().split("\t")[2] ?? "";
    expect(line.length).toBeLessThan(100);
    expect(line.endsWith("…")).toBe(true);
  });
});

describe("mm rm", () => {
  it("deletes, and get afterwards exits 3 (not found) with a message on stderr", async () => {
    await mm(["put", "vid_rm", "doomed"]);
    expect(await mm(["rm", "vid_rm"])).toEqual({ code: 0, stdout: "deleted vid_rm\n", stderr: "" });
    const r = await mm(["get", "vid_rm"]);
    expect(r).toEqual({ code: 3, stdout: "", stderr: 'mm: No video analysis for videoId "vid_rm"\n' });
  });

  it("rm of a videoId that does not exist exits 3", async () => {
    expect((await mm(["rm", "vid_never"])).code).toBe(3);
  });
});

describe("usage errors exit 2", () => {
  it.each([
    ["a missing argument", ["get"]],
    ["an unknown command", ["frob"]],
    ["no command at all", []],
    ["an extra argument", ["get", "a", "b"]],
    ["an unknown option", ["ls", "--frob"]],
    ["--limit 0", ["ls", "--limit", "0"]],
    ["--limit 1001", ["ls", "--limit", "1001"]],
    ["a non-numeric --limit", ["ls", "--limit", "ten"]],
    ["a --url that is not an http URL", ["--url", "localhost:3000", "ls"]],
  ])("%s", async (_, args) => {
    const r = await mm(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe("server address", () => {
  it("an unreachable server exits 4 with 'cannot reach Memory Mirror at <url>'", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await mm(["get", "vid_x"], { url });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`cannot reach Memory Mirror at ${url} (is the server running? pnpm start)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a server that never answers exits 4 after --timeout instead of hanging", async () => {
    const silent = createServer(); // accepts connections, never replies
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const r = await mm(["get", "vid_x", "--timeout", "0.5"], { url });
      expect(r.code).toBe(4);
      expect(r.stderr).toBe(`mm: Memory Mirror at ${url} did not answer within 0.5 s (--timeout)\n`);
    } finally {
      silent.close();
    }
  });

  it("--url wins over MM_URL", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    await mm(["put", "vid_url", "via --url"]);
    const r = await mm(["--url", server.url, "get", "vid_url"], { url: dead });
    expect(r).toEqual({ code: 0, stdout: "via --url\n", stderr: "" });
  });
});

describe("keys and a server that requires them", () => {
  let secured: TestServer;
  let admin: string;
  beforeAll(async () => {
    secured = await startTestServer("embedded", { auth: "required", keyCacheMs: 100 });
    admin = await secured.createKey({ name: "admin", space: "*", scopes: ["read", "write", "admin"] });
  });
  afterAll(() => secured?.close());
  const as = (key: string, args: string[]) => mm(args, { url: secured.url, env: { MM_API_KEY: key } });

  it("without a key exits 5 and says how to give one", async () => {
    const r = await mm(["ls"], { url: secured.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      "mm: An API key is required: send Authorization: Bearer mm_… (pnpm keys:create --admin on the server's machine makes the first) (set MM_API_KEY or --api-key)\n",
    );
  });

  // Nine or more CLI processes one after another, each a node + tsx start-up: 10 s in all at load 17, over the
  // default 30 s when the suites of four packages shared the 2 cores.
  it(
    "keys create prints the key alone on stdout; the key then works for its space and scope only",
    {
      timeout: 120_000,
    },
    async () => {
      const created = await as(admin, [
        "keys",
        "create",
        "--name",
        "producer",
        "--space",
        "alice",
        "--scope",
        "read,write",
      ]);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^mm_[A-Za-z0-9_-]{43}\n$/);
      expect(created.stderr).toContain('created key "producer" for space alice (read, write)');
      const producer = created.stdout.trim();

      expect(
        (await mm(["--api-key", producer, "put", "vid_alice", "in alice's space"], { url: secured.url })).code,
      ).toBe(0);
      expect((await as(producer, ["get", "vid_alice"])).stdout).toBe("in alice's space\n");
      expect((await as(admin, ["get", "vid_alice"])).code).toBe(3); // the admin key acts in "default" unless told
      expect((await as(admin, ["--space", "alice", "get", "vid_alice"])).stdout).toBe("in alice's space\n");
      const forbidden = await as(producer, ["keys", "ls"]);
      expect(forbidden.code).toBe(5);
      expect(forbidden.stderr).toContain('lacks the "admin" scope');

      const listed = await as(admin, ["keys", "ls"]);
      expect(listed.stdout).toContain(`producer\t${producer.slice(0, 7)}…\talice\tread,write\t`);
      expect(listed.stdout).not.toContain(producer);

      expect(await as(admin, ["keys", "revoke", "producer"])).toMatchObject({ code: 0, stdout: "revoked producer\n" });
      await expect
        .poll(async () => (await as(producer, ["get", "vid_alice"])).code, { timeout: 5000, interval: 100 })
        .toBe(5);
    },
  );

  it("keys create without --space or with an unknown scope is a usage error", async () => {
    expect((await as(admin, ["keys", "create", "--name", "x", "--scope", "read"])).code).toBe(2);
    expect((await as(admin, ["keys", "create", "--name", "x", "--space", "a", "--scope", "delete"])).code).toBe(2);
  });
});

describe("help and launcher", () => {
  it("--help exits 0 and documents the exit codes", async () => {
    const r = await mm(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 {2}not found/);
    expect(r.stdout).toMatch(/4 {2}server unreachable/);
  });

  it("bin/mm.js (the package's bin) runs the CLI", async () => {
    // Through tsx: under the tests' source condition the bin's "#main" is src/main.ts (dist/ when run plainly).
    const r = await mm(["get", "vid_create"], { entry: ["--import", "tsx", "bin/mm.js"] });
    expect(r).toEqual({ code: 0, stdout: "A cat jumps onto a table.\n", stderr: "" });
  });
});
