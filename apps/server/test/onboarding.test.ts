/**
 * A newcomer's first minutes on a server that requires keys: what tells them how to get the first key, `pnpm
 * keys:create` itself, MCP clients told "an API key is required" instead of starting OAuth, and liveness while the
 * server is still starting.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { keyService } from "@memory-mirror/api";
import { createDb } from "@memory-mirror/db";
import { createTestDatabase } from "@memory-mirror/db/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, loadConfig } from "../src/index.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const run = promisify(execFile);
const createKeyCli = fileURLToPath(new URL("../src/cli/create-key.ts", import.meta.url));

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("a server that requires keys, before any exists", () => {
  it("says at start how to make the first key, and so does every 401", async () => {
    const database = await createTestDatabase("embedded");
    const logs: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(line) });
    const config = { ...loadConfig({ DATABASE_URL: database.url, PORT: "0" }), auth: "required" as const };
    const server = createServer(config, { database: database.options, logger });
    const url = await server.start();
    try {
      const warning = logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
      expect(warning?.msg).toContain("No API key exists yet");
      expect(warning?.msg).toContain("pnpm keys:create --admin");
      const answer = await fetch(`${url}/api/video-analysis/`);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { detail: string }).detail).toContain("pnpm keys:create --admin");
    } finally {
      await server.stop();
    }
  });
});

describe("MCP clients meeting a server that requires keys", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("embedded", { auth: "required" });
  });
  afterAll(() => server?.close());

  it("show that an API key is required instead of starting OAuth", async () => {
    const calls: string[] = [];
    // An OAuth-capable client (as Claude Code and the MCP Inspector are): it starts OAuth on any 401.
    const oauth: OAuthClientProvider = {
      get redirectUrl() {
        return "http://127.0.0.1:1/callback";
      },
      get clientMetadata() {
        return { redirect_uris: ["http://127.0.0.1:1/callback"], client_name: "test" };
      },
      clientInformation: () => (calls.push("clientInformation"), undefined),
      tokens: () => (calls.push("tokens"), undefined),
      saveTokens: () => void calls.push("saveTokens"),
      redirectToAuthorization: () => void calls.push("redirectToAuthorization"),
      saveCodeVerifier: () => void calls.push("saveCodeVerifier"),
      codeVerifier: () => (calls.push("codeVerifier"), ""),
    };
    const client = new Client({ name: "onboarding-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth });
    const error = await client.connect(transport).then(
      () => expect.fail("connected without a key"),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain("An API key is required");
    expect(error.message).toContain("This server does not do OAuth");
    // The provider was asked for a stored token (sent if it had one), never to register or redirect.
    expect(calls.filter((c) => c !== "tokens")).toEqual([]);
    await client.close();
  });

  it("answers 403 without an OAuth challenge, and serves no OAuth metadata", async () => {
    const answer = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get("www-authenticate")).toBeNull();
    for (const well of ["oauth-protected-resource", "oauth-protected-resource/mcp", "oauth-authorization-server"])
      expect((await fetch(`${server.url}/.well-known/${well}`)).status).toBe(404);
  });
});

describe("pnpm keys:create", () => {
  // Each starts a command through tsx; generous timeouts, as on a loaded 2-core machine that took over 20 s.
  it("refuses DATABASE_URL=memory:, where the key would vanish with the command", { timeout: 120_000 }, async () => {
    const failure = await run(process.execPath, ["--import", "tsx", createKeyCli, "--admin"], {
      env: { ...process.env, DATABASE_URL: "memory:" },
    }).then(
      () => expect.fail("it created a key"),
      (e: unknown) => e as { code: number; stdout: string; stderr: string },
    );
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toContain("DATABASE_URL=memory: keeps nothing");
  });

  it("prints a key once, stored in the database DATABASE_URL names", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mm-keys-"));
    try {
      const database = await createTestDatabase("embedded", path.join(dir, "data"));
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", createKeyCli, "--admin"], {
        env: { ...process.env, DATABASE_URL: database.url },
      });
      expect(stdout).toMatch(/^mm_[A-Za-z0-9_-]{40,}\n$/);
      expect(stderr).toContain('Created key "admin"');
      const db = await createDb(database.url);
      try {
        const { items } = await keyService.list({ prisma: db.prisma });
        expect(items.map((k) => [k.name, k.space, k.scopes])).toEqual([["admin", "*", ["read", "write", "admin"]]]);
        expect(stdout.startsWith(items[0]!.prefix)).toBe(true);
      } finally {
        await db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("liveness", () => {
  it("/healthz answers 200 while the server is still opening its database, /readyz 503", async () => {
    const database = await createTestDatabase("embedded");
    const port = await freePort();
    const config = loadConfig({ DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: "silent" });
    const server = createServer(config, { database: database.options });
    let started = false;
    const starting = server.start().then(() => (started = true));
    const seen: { live: string; ready: number | null }[] = [];
    try {
      // Listening comes first, then the database and migrations: ask until the server answers at all.
      while (!started) {
        const [live, ready] = await Promise.all([
          fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => `${r.status} ${r.headers.get("content-type")}`,
            () => null,
          ),
          fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.status,
            () => null,
          ),
        ]);
        if (live !== null) seen.push({ live, ready });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await starting;
      // Every liveness answer was 200, including those given while readiness still said 503.
      expect(new Set(seen.map((s) => s.live))).toEqual(new Set(["200 application/json"]));
      expect(seen.some((s) => s.ready === 503)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
