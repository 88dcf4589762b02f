import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  DatabaseConfigError,
  DEFAULT_POOL_SIZE,
  DEFAULT_TIMEOUT_MS,
  describeDatabase,
  loadDatabaseConfig,
  parseDatabaseUrl,
  redact,
} from "../src/config.ts";

describe("parseDatabaseUrl", () => {
  const cwd = "/srv/app";

  it("defaults to the embedded database in ./data when DATABASE_URL is unset or blank", () => {
    expect(parseDatabaseUrl(undefined, { cwd })).toEqual({ kind: "embedded", dataDir: "/srv/app/data" });
    expect(parseDatabaseUrl("  ", { cwd })).toEqual({ kind: "embedded", dataDir: "/srv/app/data" });
  });

  it("resolves file: directories, relative to the working directory or absolute", () => {
    expect(parseDatabaseUrl("file:./db/x", { cwd })).toEqual({ kind: "embedded", dataDir: "/srv/app/db/x" });
    expect(parseDatabaseUrl("file:/var/lib/mm", { cwd })).toEqual({ kind: "embedded", dataDir: "/var/lib/mm" });
    expect(parseDatabaseUrl("file:///var/lib/mm", { cwd })).toEqual({ kind: "embedded", dataDir: "/var/lib/mm" });
    expect(parseDatabaseUrl("file:rel")).toEqual({ kind: "embedded", dataDir: path.resolve("rel") });
  });

  it("keeps memory: in memory", () => {
    expect(parseDatabaseUrl("memory:")).toEqual({ kind: "embedded", dataDir: undefined });
  });

  it("accepts PostgreSQL URLs with a pool size and a timeout", () => {
    const url = "postgresql://mm:secret@db.internal:5432/mm";
    expect(parseDatabaseUrl(url)).toEqual({
      kind: "postgres",
      url,
      poolSize: DEFAULT_POOL_SIZE,
      timeoutMs: DEFAULT_TIMEOUT_MS,
    });
    expect(parseDatabaseUrl("postgres://localhost/mm", { poolSize: 3, timeoutMs: 1000 })).toEqual({
      kind: "postgres",
      url: "postgres://localhost/mm",
      poolSize: 3,
      timeoutMs: 1000,
    });
  });

  it("rejects anything else with a readable message that hides the password", () => {
    expect(() => parseDatabaseUrl("mysql://root:hunter2@localhost/mm")).toThrow(DatabaseConfigError);
    expect(() => parseDatabaseUrl("mysql://root:hunter2@localhost/mm")).toThrow(
      /must be empty.*file:<dir>.*memory:.*postgresql/,
    );
    expect(() => parseDatabaseUrl("mysql://root:hunter2@localhost/mm")).not.toThrow(/hunter2/);
    expect(() => parseDatabaseUrl("file:")).toThrow(/needs a directory/);
    expect(() => parseDatabaseUrl("postgresql://[bad")).toThrow(/not a valid PostgreSQL URL/);
  });
});

describe("redact", () => {
  it("hides passwords in URLs, parseable or not", () => {
    expect(redact("postgresql://mm:secret@host/db")).toBe("postgresql://mm:***@host/db");
    expect(redact("postgresql://mm@host/db")).toBe("postgresql://mm@host/db");
    expect(redact("postgresql://mm:secret@[bad/db")).not.toContain("secret");
    expect(describeDatabase(parseDatabaseUrl("postgresql://mm:secret@host/db"))).not.toContain("secret");
  });
});

describe("loadDatabaseConfig", () => {
  const cwd = "/srv/app";
  const failure = (env: Record<string, string | undefined>) => {
    try {
      loadDatabaseConfig(env, { cwd });
    } catch (error) {
      return error;
    }
    throw new Error("expected loadDatabaseConfig to throw");
  };

  it("defaults to the embedded database; empty variables count as unset", () => {
    expect(loadDatabaseConfig({}, { cwd })).toEqual({ kind: "embedded", dataDir: "/srv/app/data" });
    expect(loadDatabaseConfig({ DATABASE_URL: "", DATABASE_POOL_SIZE: "", DATABASE_TIMEOUT_MS: "" }, { cwd })).toEqual({
      kind: "embedded",
      dataDir: "/srv/app/data",
    });
  });

  it("reads the pool size and the timeout for PostgreSQL, with defaults 10 and 5000 ms", () => {
    const url = "postgresql://postgres@127.0.0.1:5432/mm";
    expect(loadDatabaseConfig({ DATABASE_URL: url })).toEqual({
      kind: "postgres",
      url,
      poolSize: 10,
      timeoutMs: 5000,
      cancelOnHangUp: true,
    });
    expect(loadDatabaseConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: "1000", DATABASE_TIMEOUT_MS: "250" })).toEqual({
      kind: "postgres",
      url,
      poolSize: 1000,
      timeoutMs: 250,
      cancelOnHangUp: true,
    });
  });

  it("turns the hang-up's cancel request off with DATABASE_CANCEL_ON_HANGUP=off (a pooler in front)", () => {
    const url = "postgresql://postgres@127.0.0.1:6432/mm";
    expect(loadDatabaseConfig({ DATABASE_URL: url, DATABASE_CANCEL_ON_HANGUP: "off" })).toMatchObject({
      cancelOnHangUp: false,
    });
  });

  it("reads replicas for PostgreSQL from DATABASE_REPLICA_URLS, with their lag limit and check interval", () => {
    const url = "postgresql://postgres@db:5432/mm";
    expect(
      loadDatabaseConfig({
        DATABASE_URL: url,
        DATABASE_REPLICA_URLS: " postgresql://r1:5432/mm,, postgres://u:pw@r2/mm ",
      }),
    ).toEqual({
      kind: "postgres",
      url,
      poolSize: 10,
      timeoutMs: 5000,
      cancelOnHangUp: true,
      replicas: { urls: ["postgresql://r1:5432/mm", "postgres://u:pw@r2/mm"], maxLagMs: 5000, checkIntervalMs: 1000 },
    });
    const config = loadDatabaseConfig({
      DATABASE_URL: url,
      DATABASE_REPLICA_URLS: "postgresql://r1/mm",
      REPLICA_MAX_LAG_MS: "0",
      REPLICA_CHECK_INTERVAL_MS: "250",
    });
    expect(config.kind === "postgres" && config.replicas).toEqual({
      urls: ["postgresql://r1/mm"],
      maxLagMs: 0,
      checkIntervalMs: 250,
    });
    // Blank: no replicas, as if unset.
    expect(loadDatabaseConfig({ DATABASE_URL: url, DATABASE_REPLICA_URLS: " , " })).not.toHaveProperty("replicas");
    expect(
      describeDatabase(loadDatabaseConfig({ DATABASE_URL: url, DATABASE_REPLICA_URLS: "postgres://u:pw@r2/mm" })),
    ).toBe(
      "PostgreSQL postgresql://postgres@db:5432/mm (pool 10, timeout 5000 ms, reads also from postgres://u:***@r2/mm)",
    );
  });

  it.each([
    [{ DATABASE_POOL_SIZE: "0" }, "DATABASE_POOL_SIZE", 'DATABASE_POOL_SIZE must be at least 1; got "0"'],
    [{ DATABASE_POOL_SIZE: "1001" }, "DATABASE_POOL_SIZE", "DATABASE_POOL_SIZE must be at most 1000"],
    [{ DATABASE_POOL_SIZE: "ten" }, "DATABASE_POOL_SIZE", 'DATABASE_POOL_SIZE must be a number; got "ten"'],
    [{ DATABASE_POOL_SIZE: "2.5" }, "DATABASE_POOL_SIZE", "DATABASE_POOL_SIZE must be a whole number"],
    [{ DATABASE_TIMEOUT_MS: "5s" }, "DATABASE_TIMEOUT_MS", "DATABASE_TIMEOUT_MS must be a number"],
    [{ DATABASE_TIMEOUT_MS: "10" }, "DATABASE_TIMEOUT_MS", "DATABASE_TIMEOUT_MS must be at least 100"],
    [
      { DATABASE_CANCEL_ON_HANGUP: "false" },
      "DATABASE_CANCEL_ON_HANGUP",
      'DATABASE_CANCEL_ON_HANGUP must be on or off; got "false"',
    ],
    [{ DATABASE_URL: "mysql://root:hunter2@x/mm" }, "DATABASE_URL", "DATABASE_URL must be empty"],
    [
      { DATABASE_REPLICA_URLS: "postgresql://replica/mm" },
      "DATABASE_REPLICA_URLS",
      "DATABASE_REPLICA_URLS needs a PostgreSQL server in DATABASE_URL: the embedded database (PGlite) has no replicas",
    ],
    [
      { DATABASE_URL: "postgresql://db/mm", DATABASE_REPLICA_URLS: "postgresql://r1/mm, mysql://root:hunter2@r2/mm" },
      "DATABASE_REPLICA_URLS",
      "DATABASE_REPLICA_URLS must list PostgreSQL URLs",
    ],
    [{ REPLICA_MAX_LAG_MS: "-1" }, "REPLICA_MAX_LAG_MS", "REPLICA_MAX_LAG_MS must be at least 0"],
    [{ REPLICA_CHECK_INTERVAL_MS: "10" }, "REPLICA_CHECK_INTERVAL_MS", "REPLICA_CHECK_INTERVAL_MS must be at least 50"],
  ])("rejects %j naming the variable", (env, variable, message) => {
    const error = failure(env);
    expect(error).toBeInstanceOf(DatabaseConfigError);
    expect((error as DatabaseConfigError).variable).toBe(variable);
    expect((error as DatabaseConfigError).message).toContain(message);
    expect((error as DatabaseConfigError).message).not.toContain("hunter2");
  });
});
