/**
 * Start-up failures say the cause and the fix in one line, and the address is checked before any database work.
 * The errors are real: each server below really fails to listen or to reach its database.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_POSTGRES_URL, testTargets } from "@memory-mirror/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, loadConfig } from "../src/index.ts";
import { explainStartupError } from "../src/startup-errors.ts";

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres");
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** What start() of a server with these variables fails with, explained. */
async function explain(env: Record<string, string>): Promise<string> {
  const config = loadConfig({ PORT: "0", LOG_LEVEL: "silent", DATABASE_TIMEOUT_MS: "2000", ...env });
  const error = await createServer(config)
    .start()
    .then(
      () => expect.fail("the server started"),
      (e: unknown) => e,
    );
  return explainStartupError(error, config);
}

describe("a server that cannot listen", () => {
  let busy: Server;
  let port: number;
  let dataDir: string;
  beforeAll(async () => {
    busy = createNetServer().listen(0, "127.0.0.1");
    await once(busy, "listening");
    port = (busy.address() as { port: number }).port;
    dataDir = mkdtempSync(path.join(tmpdir(), "mm-startup-"));
  });
  afterAll(() => {
    busy.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("says the port is in use, before touching the database", async () => {
    const db = path.join(dataDir, "never-opened");
    expect(await explain({ PORT: String(port), DATABASE_URL: `file:${db}` })).toBe(
      `Port ${port} on 127.0.0.1 is in use by another process: stop it, or set PORT to another port (PORT=0 picks a free one)`,
    );
    expect(existsSync(db)).toBe(false);
  });

  it("says a HOST that is not this machine's, or does not resolve", async () => {
    expect(await explain({ HOST: "192.0.2.1", DATABASE_URL: "memory:" })).toMatch(
      /^HOST=192\.0\.2\.1 is not an address of this machine/,
    );
    expect(await explain({ HOST: "no-such-host.invalid", DATABASE_URL: "memory:" })).toMatch(
      /^HOST=no-such-host\.invalid cannot be resolved/,
    );
  });

  it("prints that one line on stderr and exits 1 (no JSON, no stack)", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: "memory:", LOG_LEVEL: "info" },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect(code).toBe(1);
    expect(stderr).toBe(
      `Port ${port} on 127.0.0.1 is in use by another process: stop it, or set PORT to another port (PORT=0 picks a free one)\n`,
    );
  });
});

describe("a configuration that cannot work", () => {
  it("replicas with the embedded database: exits 2 naming DATABASE_REPLICA_URLS, before opening anything", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, PORT: "0", DATABASE_URL: "memory:", DATABASE_REPLICA_URLS: "postgresql://replica/mm" },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect(code).toBe(2);
    expect(stderr).toBe(
      "Invalid configuration:\n  DATABASE_REPLICA_URLS: DATABASE_REPLICA_URLS needs a PostgreSQL server in DATABASE_URL: " +
        "the embedded database (PGlite) has no replicas\n",
    );
  });
});

describe("a server whose database is not there", () => {
  it("says a refused connection", async () => {
    expect(await explain({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/none" })).toMatch(
      /^PostgreSQL at 127\.0\.0\.1:1 refused the connection: is it running and listening there\?/,
    );
  });

  it("says the server refused the credentials (28P01, Prisma's P1000), not that it is unreachable", async () => {
    // A PostgreSQL server that refuses every password, as one with password authentication does a wrong one.
    const refusing = createNetServer((socket) => {
      socket.once("data", () => {
        const fields = ["SFATAL", "VFATAL", "C28P01", 'Mpassword authentication failed for user "app"'];
        const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
        const header = Buffer.alloc(5);
        header.write("E");
        header.writeInt32BE(body.length + 4, 1);
        socket.end(Buffer.concat([header, body]));
      });
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    const { port } = refusing.address() as { port: number };
    try {
      expect(await explain({ DATABASE_URL: `postgresql://app:wrong@127.0.0.1:${port}/mm` })).toBe(
        `PostgreSQL at 127.0.0.1:${port} refused the password of role "app": fix the user or password in DATABASE_URL`,
      );
    } finally {
      refusing.close();
    }
  });

  it("says a database host that does not resolve", async () => {
    expect(await explain({ DATABASE_URL: "postgresql://postgres@no-such-db-host.invalid:5432/x" })).toMatch(
      /^The database host in DATABASE_URL cannot be resolved/,
    );
  });
});

describe.skipIf(!!postgres?.skip)("a PostgreSQL server that refuses what is asked", () => {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  const suffix = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const role = `mm_plain_${suffix}`;
  const database = `mm_noext_${suffix}`;
  const url = (user: string, db: string) => {
    const u = new URL(TEST_POSTGRES_URL);
    u.username = user;
    u.pathname = `/${db}`;
    return u.toString();
  };
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE ROLE "${role}" LOGIN`);
    await admin.query(`CREATE DATABASE "${database}" OWNER "${role}"`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin.end();
  });

  it("says a database that does not exist, and how to create it", async () => {
    expect(await explain({ DATABASE_URL: url("postgres", `missing_${suffix}`) })).toMatch(
      new RegExp(`^Database "missing_${suffix}" does not exist on .*: create it \\(createdb missing_${suffix}\\)`),
    );
  });

  it("says a role that may not connect", async () => {
    expect(await explain({ DATABASE_URL: url(`nobody_${suffix}`, "test") })).toMatch(
      /does not let role "nobody_.*" connect/,
    );
  });

  it("says a role that may not create pgvector, and what a superuser must run", async () => {
    expect(await explain({ DATABASE_URL: url(role, database) })).toBe(
      `Role "${role}" may not create the pgvector extension (it is not a trusted extension): run CREATE EXTENSION vector; ` +
        `once in database "${database}" as a superuser, then start again`,
    );
  });
});
