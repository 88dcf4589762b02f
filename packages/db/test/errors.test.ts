import { DriverAdapterError } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDb, type Database } from "../src/client.ts";
import { loadDatabaseConfig } from "../src/config.ts";
import { queryDriver } from "../src/driver-queries.ts";
import { DatabaseBusyError, databaseErrorKind, DatabaseTimeoutError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { poolOptions } from "../src/postgres.ts";
import {
  createTestDatabase,
  type FaultMode,
  type FaultProxy,
  startFaultProxy,
  testTargets,
  type TestDatabase,
} from "../src/testing.ts";

const known = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(`failed (${code})`, { code, clientVersion: "7", ...(meta ? { meta } : {}) });
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: "connect", errno: -1 });
const sqlError = (code: string) => {
  const error = new pg.DatabaseError("server says no", 0, "error");
  error.code = code;
  error.severity = "FATAL";
  return error;
};

describe("databaseErrorKind", () => {
  it.each([
    ["P2002", "unique_violation"],
    ["P2025", "not_found"],
    ["P2000", "value_too_long"],
    ["P1001", "unavailable"],
    ["P1017", "unavailable"],
    ["P2024", "unavailable"],
    ["P2034", "transient"],
    ["P2003", undefined],
  ] as const)("Prisma %s is %s", (code, kind) => {
    expect(databaseErrorKind(known(code))).toBe(kind);
  });

  it("reads driver-adapter errors, thrown raw or inside a raw query's P2010", () => {
    const refused = new DriverAdapterError({ kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 });
    expect(databaseErrorKind(refused)).toBe("unavailable");
    expect(databaseErrorKind(known("P2010", { driverAdapterError: refused }))).toBe("unavailable");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "ConnectionClosed" }))).toBe("unavailable");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "SocketTimeout" }))).toBe("unavailable");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "TooManyConnections", cause: "53300" }))).toBe(
      "unavailable",
    );
    const duplicate = new DriverAdapterError({
      kind: "UniqueConstraintViolation",
      constraint: { fields: ["videoId"] },
    });
    expect(databaseErrorKind(known("P2010", { driverAdapterError: duplicate }))).toBe("unique_violation");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "LengthMismatch", column: "videoId" }))).toBe(
      "value_too_long",
    );
    const shutdown = new DriverAdapterError({
      kind: "postgres",
      code: "57P01",
      severity: "FATAL",
      message: "terminating",
      detail: undefined,
      column: undefined,
      hint: undefined,
      originalCode: "57P01",
    });
    expect(databaseErrorKind(shutdown)).toBe("unavailable");
    const syntax = new DriverAdapterError({
      kind: "postgres",
      code: "42601",
      severity: "ERROR",
      message: "syntax",
      detail: undefined,
      column: undefined,
      hint: undefined,
      originalCode: "42601",
    });
    expect(databaseErrorKind(known("P2010", { driverAdapterError: syntax }))).toBeUndefined();
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"])(
    "socket error %s is unavailable",
    (code) => {
      expect(databaseErrorKind(socketError(code))).toBe("unavailable");
    },
  );

  it.each(["57P01", "57P02", "57P03", "08006", "08001", "53300", "3D000"])("SQLSTATE %s is unavailable", (code) => {
    expect(databaseErrorKind(sqlError(code))).toBe("unavailable");
  });

  it("a statement stopped by statement_timeout (57014) is timed_out, not the database being down", () => {
    expect(databaseErrorKind(sqlError("57014"))).toBe("timed_out");
  });

  it("a statement cut by this client after waiting for a pooled connection is busy, not the database being down", () => {
    const busy = new DatabaseBusyError(800, 1000, { cause: new Error("Query read timeout") });
    expect(databaseErrorKind(busy)).toBe("busy");
    expect(databaseErrorKind(new Error("adapter", { cause: busy }))).toBe("busy");
  });

  it("reads SQLSTATEs of constraint, range, length and retryable errors, and leaves other server errors alone", () => {
    expect(databaseErrorKind(sqlError("23505"))).toBe("unique_violation");
    expect(databaseErrorKind(sqlError("22001"))).toBe("value_too_long");
    expect(databaseErrorKind(sqlError("22003"))).toBe("value_out_of_range");
    expect(databaseErrorKind(sqlError("22008"))).toBe("value_out_of_range");
    expect(databaseErrorKind(sqlError("40P01"))).toBe("transient");
    expect(databaseErrorKind(sqlError("40001"))).toBe("transient");
    expect(databaseErrorKind(new DriverAdapterError({ kind: "TransactionWriteConflict" }))).toBe("transient");
    expect(databaseErrorKind(sqlError("42P01"))).toBeUndefined();
    expect(databaseErrorKind(sqlError("23503"))).toBeUndefined();
  });

  it.each([
    "Connection terminated unexpectedly",
    "Connection terminated due to connection timeout",
    "Query read timeout",
    "timeout exceeded when trying to connect",
    "Client has encountered a connection error and is not queryable",
    "Cannot use a pool after calling end on the pool",
  ])("node-postgres's code-less %j is unavailable", (message) => {
    expect(databaseErrorKind(new Error(message))).toBe("unavailable");
  });

  it("follows cause chains and AggregateError (a refused 'localhost' tries ::1 and 127.0.0.1)", () => {
    const aggregate = new AggregateError([socketError("ECONNREFUSED"), socketError("ECONNREFUSED")], "");
    expect(databaseErrorKind(aggregate)).toBe("unavailable");
    const wrapped = new Error("procedure failed", { cause: new Error("pool", { cause: aggregate }) });
    expect(databaseErrorKind(wrapped)).toBe("unavailable");
    expect(
      databaseErrorKind(new Error("Connection terminated due to connection timeout", { cause: new Error("x") })),
    ).toBe("unavailable");
    expect(databaseErrorKind(new DatabaseTimeoutError(1000))).toBe("unavailable");
  });

  it("lets the outermost meaningful error win, and survives cycles", () => {
    expect(
      databaseErrorKind(known("P2025", { driverAdapterError: new DriverAdapterError({ kind: "ConnectionClosed" }) })),
    ).toBe("not_found");
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    Object.assign(a, { cause: b });
    expect(databaseErrorKind(a)).toBeUndefined();
  });

  it("is undefined for anything that is not a database error", () => {
    for (const value of [
      undefined,
      null,
      "ECONNREFUSED",
      42,
      new Error("boom"),
      new TypeError("x is undefined"),
      { code: "P2002" },
    ]) {
      expect(databaseErrorKind(value)).toBeUndefined();
    }
  });
});

describe("pool options", () => {
  it("derive every timeout from DATABASE_TIMEOUT_MS", () => {
    const config = loadDatabaseConfig({ DATABASE_URL: "postgresql://u@h/db", DATABASE_TIMEOUT_MS: "1500" });
    if (config.kind !== "postgres") throw new Error("expected a PostgreSQL config");
    expect(poolOptions(config)).toMatchObject({
      connectionTimeoutMillis: 1500,
      query_timeout: 1500,
      // The server's bound is a little shorter, so that its own error (57014) arrives before the client gives up.
      statement_timeout: 1350,
      idle_in_transaction_session_timeout: 1500,
      keepAlive: true,
    });
  });
});

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres")!;

// What each operation the API uses throws while the network between it and PostgreSQL fails, through a real proxy.
describe.skipIf(!!postgres.skip)("PostgreSQL behind a failing network", () => {
  const TIMEOUT_MS = 1000;
  let database: TestDatabase;
  let proxy: FaultProxy;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    const direct = await createDb(database.url);
    await direct.migrate();
    await direct.close();
    proxy = await startFaultProxy(database.url);
    db = await createDb(
      loadDatabaseConfig({ DATABASE_URL: proxy.url(database.url), DATABASE_TIMEOUT_MS: String(TIMEOUT_MS) }),
    );
    await db.prisma.videoAnalysis.create({
      data: { space: "default", videoId: "kept", description: "before the fault" },
    });
  });
  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await database?.drop();
  });

  const operations: [string, () => Promise<unknown>][] = [
    [
      "findUnique",
      () => db.prisma.videoAnalysis.findUnique({ where: { space_videoId: { space: "default", videoId: "kept" } } }),
    ],
    [
      "create",
      () =>
        db.prisma.videoAnalysis.create({
          data: { space: "default", videoId: `new-${Math.random()}`, description: "x" },
        }),
    ],
    [
      "delete",
      () => db.prisma.videoAnalysis.delete({ where: { space_videoId: { space: "default", videoId: "absent" } } }),
    ],
    ["findMany", () => db.prisma.videoAnalysis.findMany({ take: 5 })],
    [
      "$queryRaw (update)",
      () => db.prisma.$queryRaw`UPDATE "VideoAnalysis" SET "description" = 'y' WHERE "videoId" = 'kept' RETURNING "id"`,
    ],
    ["pendingMigrations (readiness)", () => db.pendingMigrations()],
    [
      "queryDriver (lookups by videoId)",
      () => queryDriver(db.prisma, `SELECT "id" FROM "VideoAnalysis" WHERE "videoId" = ANY($1::text[])`, [["kept"]]),
    ],
  ];

  it.each(["refuse", "drop", "stall"] as FaultMode[])(
    "%s: every operation fails as unavailable within the timeout, then recovers",
    async (mode) => {
      await proxy.set(mode);
      try {
        // Twice each: the first call may meet a pooled connection, the second a new one.
        const calls = [...operations, ...operations].map(async ([name, run]) => {
          const started = performance.now();
          const error = await run().then(
            () => undefined,
            (e: unknown) => e,
          );
          return { name, ms: performance.now() - started, kind: databaseErrorKind(error), error };
        });
        for (const { name, ms, kind, error } of await Promise.all(calls)) {
          expect(kind, `${name}: ${String(error)}`).toBe("unavailable");
          expect(ms, name).toBeLessThan(TIMEOUT_MS + 500);
        }
      } finally {
        await proxy.set("pass");
      }
      expect(
        await db.prisma.videoAnalysis.findUnique({ where: { space_videoId: { space: "default", videoId: "kept" } } }),
      ).toMatchObject({ videoId: "kept" });
      expect(await db.pendingMigrations()).toEqual([]);
    },
  );

  it("a connection cut while its statement runs fails that statement at once, and the next one gets a new connection", async () => {
    // A long bound, so that failing at once (the broken socket) cannot be mistaken for the bound running out.
    const patient = await createDb(
      loadDatabaseConfig({ DATABASE_URL: proxy.url(database.url), DATABASE_TIMEOUT_MS: "20000" }),
    );
    try {
      const started = performance.now();
      const running = queryDriver(patient.prisma, `SELECT 1 AS "one" FROM pg_sleep(5)`, []).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Cut only once the statement runs (a connection still logging in would test something else).
      const direct = new pg.Client({ connectionString: database.url });
      await direct.connect();
      try {
        await vi.waitFor(
          async () => {
            const { rows } = await direct.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()`,
            );
            expect(rows[0]?.n).toBe(1);
          },
          { timeout: 10_000 },
        );
      } finally {
        await direct.end();
      }
      await proxy.set("drop");
      await proxy.set("pass");
      const error = await running;
      expect(databaseErrorKind(error), String(error)).toBe("unavailable");
      expect(performance.now() - started).toBeLessThan(4000);
      expect((await queryDriver(patient.prisma, `SELECT 2 AS "two"`, [])).rows).toEqual([[2]]);
    } finally {
      await patient.close();
    }
  });

  it("closes within a second while the database stalls, cutting the connections it cannot end", async () => {
    await db.close(); // this test counts the proxy's connections
    const stalled = await createDb(
      loadDatabaseConfig({ DATABASE_URL: proxy.url(database.url), DATABASE_TIMEOUT_MS: String(TIMEOUT_MS) }),
    );
    await Promise.all([stalled.prisma.videoAnalysis.count(), stalled.prisma.videoAnalysis.count()]);
    expect(proxy.open).toBeGreaterThan(0);
    await proxy.set("stall");
    try {
      const started = performance.now();
      await stalled.close();
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 500);
      await vi.waitFor(() => expect(proxy.open).toBe(0));
    } finally {
      await proxy.set("pass");
    }
  });
});
