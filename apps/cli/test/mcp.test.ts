import { createMemoryMirrorClient } from "@memory-mirror/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { cliDir, closedPort, MM_FROM_SOURCES, mmBundled, runMm } from "./support/run-mm.ts";

/** `mm mcp` as a desktop LLM client starts it: a child process speaking MCP on stdin/stdout. */
async function connectMm(url: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...mmBundled(), "mcp"],
    cwd: cliDir,
    env: { ...(process.env as Record<string, string>), MM_URL: url },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "mm-mcp-test", version: "1.0.0" });
  // Anything on stdout that is not a protocol message surfaces here.
  const protocolErrors: Error[] = [];
  client.onerror = (error) => protocolErrors.push(error);
  await client.connect(transport);
  return { client, protocolErrors, stderr: () => stderr };
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  const [content] = result.content as { type: string; text: string }[];
  return { isError: result.isError === true, text: content?.text ?? "" };
}

describe("mm mcp (stdio)", () => {
  let server: TestServer;
  let mm: Awaited<ReturnType<typeof connectMm>>;
  beforeAll(async () => {
    server = await startTestServer("embedded");
    mm = await connectMm(server.url);
  });
  afterAll(async () => {
    await mm?.client.close();
    await server?.close();
  });

  it("lists the same tools as the server's /mcp", async () => {
    const { tools } = await mm.client.listTools();
    const http = new Client({ name: "mm-mcp-test-http", version: "1.0.0" });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
    try {
      // Names, descriptions and input schemas: what an LLM sees of each tool, whichever way it connects.
      const overHttp = (await http.listTools()).tools;
      const shape = (list: typeof tools) =>
        list.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
      expect(shape(tools)).toEqual(shape(overHttp));
    } finally {
      await http.close();
    }
    expect(tools.map((t) => t.name)).toEqual([
      "get_video_analysis",
      "list_video_analyses",
      "create_video_analysis",
      "update_video_analysis",
      "delete_video_analysis",
      "upsert_video_analysis",
      "get_video_analyses",
      "get_video_analysis_history",
      "build_context",
      "search_memories",
      "list_memory_tags",
      "recent_changes",
    ]);
    expect(mm.client.getServerVersion()?.name).toBe("memory-mirror");
  });

  it("every tool works against the server at MM_URL", async () => {
    const created = JSON.parse(
      (await call(mm.client, "create_video_analysis", { videoId: "stdio-1", description: "A cat." })).text,
    ) as { id: string };
    expect(created).toMatchObject({ videoId: "stdio-1", description: "A cat." });
    const updated: unknown = JSON.parse(
      (await call(mm.client, "update_video_analysis", { videoId: "stdio-1", description: "A dog." })).text,
    );
    expect(updated).toMatchObject({ id: created.id, description: "A dog." });
    expect(JSON.parse((await call(mm.client, "get_video_analysis", { videoId: "stdio-1" })).text)).toEqual(updated);
    expect(JSON.parse((await call(mm.client, "list_video_analyses", { limit: 5 })).text)).toEqual({
      items: [updated],
      nextCursor: null,
    });
    expect(JSON.parse((await call(mm.client, "delete_video_analysis", { videoId: "stdio-1" })).text)).toEqual(updated);
    // The bulk tools through the typed client (memoryApiFromClient).
    expect(
      JSON.parse((await call(mm.client, "upsert_video_analysis", { videoId: "stdio-2", description: "one" })).text),
    ).toMatchObject({ status: "created" });
    await call(mm.client, "upsert_video_analysis", { videoId: "stdio-2", description: "two" });
    const many = JSON.parse(
      (await call(mm.client, "get_video_analyses", { videoIds: ["stdio-2", "stdio-1"] })).text,
    ) as { items: ({ description: string } | null)[] };
    expect(many.items.map((i) => i?.description ?? null)).toEqual(["two", null]);
    const history: unknown = JSON.parse(
      (await call(mm.client, "get_video_analysis_history", { videoId: "stdio-2" })).text,
    );
    expect(history).toMatchObject({ items: [{ version: 1, description: "one" }], nextCursor: null });
  });

  it("shares the server's data with its other clients", async () => {
    const typed = createMemoryMirrorClient({ url: server.url });
    const written = await typed.videoAnalysis.create.mutate({ videoId: "stdio-shared", description: "via tRPC" });
    expect(JSON.parse((await call(mm.client, "get_video_analysis", { videoId: "stdio-shared" })).text)).toEqual(
      written,
    );
    await call(mm.client, "update_video_analysis", { videoId: "stdio-shared", description: "via MCP" });
    expect((await typed.videoAnalysis.byVideoId.query({ videoId: "stdio-shared" })).description).toBe("via MCP");
  });

  it("service errors are tool errors in the server's words", async () => {
    expect(await call(mm.client, "get_video_analysis", { videoId: "stdio-none" })).toEqual({
      isError: true,
      text: 'No video analysis for videoId "stdio-none"',
    });
    await call(mm.client, "create_video_analysis", { videoId: "stdio-dup", description: "first" });
    expect(await call(mm.client, "create_video_analysis", { videoId: "stdio-dup", description: "again" })).toEqual({
      isError: true,
      text: 'A video analysis for videoId "stdio-dup" already exists',
    });
    const invalid = await call(mm.client, "get_video_analysis", { videoId: "" });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).toContain("videoId must not be empty");
  });

  it("writes nothing but protocol to stdout, and its own lines to stderr", () => {
    expect(mm.protocolErrors).toEqual([]);
    expect(mm.stderr()).toContain(`serving the Memory Mirror tools of ${server.url} over stdio`);
  });
});

describe("mm mcp without a server", () => {
  it("still lists its tools, and a call explains that the server cannot be reached", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const mm = await connectMm(url);
    try {
      expect((await mm.client.listTools()).tools).toHaveLength(12);
      const result = await call(mm.client, "get_video_analysis", { videoId: "x" });
      expect(result.isError).toBe(true);
      expect(result.text).toContain(`cannot reach Memory Mirror at ${url} (is the server running? pnpm start)`);
    } finally {
      await mm.client.close();
    }
  });

  it("exits 0 as soon as the client closes its stdin, with nothing on stdout", async () => {
    const r = await runMm(["mcp"]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "" });
  });

  it("loads no server code (Prisma, database drivers): from the api package only its schemas", async () => {
    const r = await runMm(["mcp"], { entry: ["--import", "./test/fixtures/log-modules.mjs", ...MM_FROM_SOURCES] });
    const modules = [...r.stderr.matchAll(/^module: (.+)$/gm)].map((m) => m[1] ?? "");
    expect(modules).toContainEqual(expect.stringMatching(/packages\/api\/src\/schemas\.ts$/));
    const apiValuesOnly =
      /packages\/api\/src\/(schemas|limits|codecs|fields|messages|video-analysis\/memory-header|[\w-]+\/([\w-]+-)?schemas)\.ts$/;
    const serverCode = (url: string) =>
      /prisma|pglite|packages\/db\/|\/node_modules\/pg\//.test(url) ||
      (/packages\/api\/src\//.test(url) && !apiValuesOnly.test(url));
    expect(modules.filter(serverCode)).toEqual([]);
  });
});

/**
 * The bridge calls the server over HTTP with kept-alive connections: a call the server refuses from its Content-Length
 * (413) before the body arrived must not cost the calls after it their answers (apps/server/src/unread-bodies.ts).
 */
describe("mm mcp (stdio) after a call the server refuses before reading its body", () => {
  const MAX_BODY_BYTES = 64 * 1024;
  let server: TestServer;
  let mm: Awaited<ReturnType<typeof connectMm>>;
  beforeAll(async () => {
    server = await startTestServer("embedded", { maxBodyBytes: MAX_BODY_BYTES });
    mm = await connectMm(server.url);
  });
  afterAll(async () => {
    await mm?.client.close();
    await server?.close();
  });

  it("a body over MAX_BODY_BYTES is a tool error naming the limit, and every call after it is answered", async () => {
    // 50,000 characters (within the description's limit) of two bytes each: about 100 KB of JSON.
    const refused = await call(mm.client, "create_video_analysis", { videoId: "big", description: "é".repeat(50_000) });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain(`larger than ${MAX_BODY_BYTES} bytes (MAX_BODY_BYTES)`);
    for (const length of [10, 30_000, 50_000]) {
      const answer = await call(mm.client, "create_video_analysis", {
        videoId: `after-${length}`,
        description: "a".repeat(length),
      });
      expect({ length, answer: answer.isError ? answer.text : "created" }).toEqual({ length, answer: "created" });
      const refusedAgain = await call(mm.client, "update_video_analysis", {
        videoId: `after-${length}`,
        description: "é".repeat(50_000),
      });
      expect(refusedAgain.text).toContain("MAX_BODY_BYTES");
    }
    expect((await call(mm.client, "get_video_analysis", { videoId: "after-50000" })).isError).toBe(false);
    expect(mm.stderr()).not.toMatch(/failed:/);
  });
});

/**
 * A call the server refuses for now (over its rate) is a tool error that says when to retry: in the text for the
 * model, and as `_meta.retryAfterSeconds` (the server's Retry-After) for the program hosting it.
 */
describe("mm mcp (stdio) over a server's rate limit", () => {
  let server: TestServer;
  let mm: Awaited<ReturnType<typeof connectMm>>;
  beforeAll(async () => {
    server = await startTestServer("embedded", { rateLimitPerMinute: 3 });
    mm = await connectMm(server.url);
  });
  afterAll(async () => {
    await mm?.client.close();
    await server?.close();
  });

  it("a refused call's tool error carries the seconds to wait, in its text and its _meta", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await mm.client.callTool({ name: "get_video_analysis", arguments: { videoId: `limited-${i}` } }));
    const refused = answers[3];
    expect(refused?.isError).toBe(true);
    const retryAfter = (refused?._meta as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    expect(retryAfter).toEqual(expect.any(Number));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const [content] = refused?.content as { text: string }[];
    expect(content?.text).toMatch(/^Rate limit exceeded: 3 calls per minute/);
    expect(content?.text).toContain(`retry in ${String(retryAfter)} s`);
    // A failure that does not pass says no such thing.
    expect(answers[0]?._meta).toBeUndefined();
  });
});
