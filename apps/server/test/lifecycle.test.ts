import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { readdir } from "node:fs/promises";
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { MIGRATIONS_DIR } from "@memory-mirror/db";
import { createTestDatabase, Locker, testTargets } from "@memory-mirror/db/testing";
import pg from "pg";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, createServer, loadConfig } from "../src/index.ts";
import { startTestServer } from "../src/testing.ts";
import { startServerProcess } from "./server-process.ts";

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres");
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

describe("configuration", () => {
  it("has working defaults: port 3000, loopback, embedded database in ./data", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: "127.0.0.1", logLevel: "info", maxBatchSize: 100 });
    expect(config.database).toEqual({ kind: "embedded", dataDir: `${process.cwd()}/data` });
  });

  it("lists every invalid variable in one readable error", () => {
    expect(() => loadConfig({ PORT: "eighty", LOG_LEVEL: "loud", DATABASE_POOL_SIZE: "0" })).toThrowError(
      new ConfigError(
        "Invalid configuration:\n  PORT: PORT must be a number\n  DATABASE_POOL_SIZE: DATABASE_POOL_SIZE must be at least 1\n" +
          '  LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
      ),
    );
  });

  it("explains a DATABASE_URL it cannot use", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL must be empty.*postgresql:/);
  });
});

describe("the server process", () => {
  it("exits 2 with a readable message on bad configuration", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, PORT: "-1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect(code).toBe(2);
    expect(stderr).toBe("Invalid configuration:\n  PORT: PORT must be at least 0\n");
  });

  it("is ready for its parent with LOG_LEVEL=warn (no info log to wait for), and exits 0 on SIGTERM", async () => {
    // Readiness comes over the IPC channel (main.ts), not from the "listening" log line warn leaves out.
    const server = await startServerProcess({ DATABASE_URL: "memory:", LOG_LEVEL: "warn" });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.logs.filter((line) => line.msg === "Memory Mirror listening")).toEqual([]);
  });

  it("stop cuts an idle connection whose client never reads, instead of waiting for SHUTDOWN_TIMEOUT_MS", async () => {
    const database = await createTestDatabase("embedded");
    const logs: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(line) });
    const config = { ...loadConfig({ DATABASE_URL: database.url, PORT: "0" }), shutdownTimeoutMs: 5_000 };
    const server = createServer(config, { logger, database: database.options, idleGraceMs: 20 });
    try {
      const { port } = new URL(await server.start());
      // A keep-alive client that got its answer and then does not answer the server's FIN (as fetch does when a
      // response body is left unread: its socket is paused), so the connection stays half open.
      const socket = net.connect({ port: Number(port), host: "127.0.0.1", allowHalfOpen: true });
      await once(socket, "connect");
      socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n");
      const [answer] = (await once(socket, "data")) as [Buffer];
      expect(answer.toString("latin1")).toMatch(/^HTTP\/1\.1 200 /);
      await server.stop();
      // Without the cut, stop() waits for the client until SHUTDOWN_TIMEOUT_MS and says so.
      expect(logs.filter((line) => line.includes("shutdown timeout"))).toEqual([]);
      socket.destroy();
    } finally {
      await server.stop();
      await database.drop();
    }
  });
});

// Needs no PostgreSQL server: nothing listens on port 1.
describe("without a database", () => {
  it("refuses to start, closing what it opened, when the database is unreachable", async () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:1/none",
      PORT: "0",
      LOG_LEVEL: "silent",
    });
    await expect(createServer(config).start()).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe.skipIf(!!postgres?.skip)("on PostgreSQL", () => {
  it("runs as stateless replicas: two servers on one database migrate once and share the data", async () => {
    const database = await createTestDatabase("postgres");
    const config = loadConfig({ DATABASE_URL: database.url, PORT: "0", LOG_LEVEL: "silent" });
    const replicas = [createServer(config), createServer(config)] as const;
    try {
      const [urlA, urlB] = await Promise.all([replicas[0].start(), replicas[1].start()]);
      const a = createMemoryMirrorClient({ url: urlA });
      const b = createMemoryMirrorClient({ url: urlB });
      await a.videoAnalysis.create.mutate({ videoId: "replicated", description: "written through A" });
      expect((await b.videoAnalysis.byVideoId.query({ videoId: "replicated" })).description).toBe("written through A");
      const duplicate = await b.videoAnalysis.create
        .mutate({ videoId: "replicated", description: "B" })
        .catch((e: unknown) => e);
      expect(errorCode(duplicate)).toBe("CONFLICT");

      const migrations = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory());
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query(`SELECT migration_name FROM "_prisma_migrations"`);
      await client.end();
      expect(rows).toHaveLength(migrations.length);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
      await database.drop();
    }
  });

  it("finishes in-flight calls on stop and refuses new connections", async () => {
    // Waits on events (the lock wait, the "stopped listening" log line), never on how long they take.
    let stoppedListening: () => void = () => undefined;
    const listeningStopped = new Promise<void>((resolve) => (stoppedListening = resolve));
    const logger = pino(
      { level: "info" },
      {
        write: (line: string) =>
          void ((JSON.parse(line) as { msg?: string }).msg === "stopped listening" && stoppedListening()),
      },
    );
    const server = await startTestServer("postgres", { shutdownTimeoutMs: 10_000 }, { logger });
    const locker = await Locker.open(server.databaseUrl);
    try {
      // Hold a lock so the next call stays in flight until we let it go.
      await locker.query(`BEGIN; LOCK TABLE "VideoAnalysis" IN ACCESS EXCLUSIVE MODE`);
      const inFlight = fetch(`${server.url}/trpc/videoAnalysis.create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ videoId: "in-flight", description: "survives shutdown" }),
      });
      // In flight for sure once its INSERT waits for our lock. No time limit but the test's own.
      await locker.untilWaiting(1);
      let stopped = false;
      const stopping = server.server.stop().then(() => (stopped = true));
      // New connections are refused once stop() says it stopped listening.
      await listeningStopped;
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      expect(stopped).toBe(false);
      await locker.query("COMMIT");
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.headers.get("connection")).toBe("close");
      await stopping;
      expect(stopped).toBe(true);
      const { rows } = await locker.query(`SELECT "description" FROM "VideoAnalysis" WHERE "videoId" = 'in-flight'`);
      expect(rows).toEqual([{ description: "survives shutdown" }]);
    } finally {
      await locker.end();
      await server.close();
    }
  });

  it("reports unready when migrations are missing or the database is gone", async () => {
    const server = await startTestServer("postgres");
    try {
      const admin = new pg.Client({ connectionString: server.databaseUrl });
      await admin.connect();
      await admin.query(`UPDATE "_prisma_migrations" SET finished_at = NULL, rolled_back_at = now()`);
      await admin.end();
      const pending = await fetch(`${server.url}/readyz`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toMatchObject({
        status: "migrations pending",
        pending: expect.arrayContaining(["20261125000000_init"]) as string[],
      });

      // Dropping the server's own database (FORCE ends its connections) makes it unreachable.
      const url = new URL(server.databaseUrl);
      const owner = new pg.Client({ connectionString: server.databaseUrl.replace(url.pathname, "/postgres") });
      await owner.connect();
      await owner.query(`DROP DATABASE "${url.pathname.slice(1)}" WITH (FORCE)`);
      await owner.end();
      const gone = await fetch(`${server.url}/readyz`);
      expect(gone.status).toBe(503);
      expect(await gone.json()).toEqual({ status: "database unreachable" });
      const call = await fetch(
        `${server.url}/trpc/videoAnalysis.byVideoId?input=${encodeURIComponent('{"videoId":"x"}')}`,
      );
      expect(call.status).toBe(503);
      expect(await call.json()).toMatchObject({
        error: { message: "The database is not reachable; try again", data: { code: "SERVICE_UNAVAILABLE" } },
      });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
