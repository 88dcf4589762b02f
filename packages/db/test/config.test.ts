import path from "node:path";
import { describe, expect, it } from "vitest";
import { DatabaseConfigError, DEFAULT_POOL_SIZE, describeDatabase, parseDatabaseUrl, redact } from "../src/config.ts";

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

  it("accepts PostgreSQL URLs with a pool size", () => {
    const url = "postgresql://mm:secret@db.internal:5432/mm";
    expect(parseDatabaseUrl(url)).toEqual({ kind: "postgres", url, poolSize: DEFAULT_POOL_SIZE });
    expect(parseDatabaseUrl("postgres://localhost/mm", { poolSize: 3 })).toEqual({
      kind: "postgres",
      url: "postgres://localhost/mm",
      poolSize: 3,
    });
  });

  it("rejects anything else with a readable message that hides the password", () => {
    expect(() => parseDatabaseUrl("mysql://root:hunter2@localhost/mm")).toThrow(DatabaseConfigError);
    expect(() => parseDatabaseUrl("mysql://root:hunter2@localhost/mm")).toThrow(/must be empty.*file:<dir>.*memory:.*postgresql/);
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
