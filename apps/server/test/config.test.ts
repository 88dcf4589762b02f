import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, HISTORY_LIMIT_DEFAULT } from "@memory-mirror/api/schemas";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("loadConfig", () => {
  it("applies the defaults of limits.ts and keeps a loopback server open without keys", () => {
    const config = loadConfig({ DATABASE_URL: "memory:" });
    expect(config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      database: { kind: "embedded", dataDir: undefined },
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      historyLimit: HISTORY_LIMIT_DEFAULT,
      auth: "off",
      authOffExposed: false,
      corsOrigins: [],
    });
  });

  it("requires keys on a non-loopback host unless AUTH=off, which is flagged as exposed", () => {
    expect(loadConfig({ DATABASE_URL: "memory:", HOST: "0.0.0.0" }).auth).toBe("required");
    const off = loadConfig({ DATABASE_URL: "memory:", HOST: "0.0.0.0", AUTH: "off" });
    expect(off).toMatchObject({ auth: "off", authOffExposed: true });
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "memory:", PORT: "" }).port).toBe(3000);
  });

  it("lists every invalid variable at once, by name", () => {
    const read = () => loadConfig({ PORT: "x", RATE_LIMIT_STORE: "redis", CORS_ORIGINS: "https://a.example/path" });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      "Invalid configuration:\n" +
        "  PORT: PORT must be a number\n" +
        '  RATE_LIMIT_STORE: RATE_LIMIT_STORE must be "memory" or "database"\n' +
        '  CORS_ORIGINS: CORS_ORIGINS: "https://a.example/path" is not an origin like https://app.example.com',
    );
  });

  it("names DATABASE_URL when it is not a database address", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/^Invalid configuration:\n {2}DATABASE_URL: /);
  });

  it("runs one server process unless WORKERS asks for more; auto is one per core", () => {
    const postgres = "postgresql://postgres@127.0.0.1:5432/x";
    expect(loadConfig({ DATABASE_URL: "memory:" }).workers).toBe(1);
    expect(loadConfig({ DATABASE_URL: postgres, WORKERS: "3" }).workers).toBe(3);
    expect(loadConfig({ DATABASE_URL: postgres, WORKERS: "auto" }).workers).toBe(availableParallelism());
    expect(() => loadConfig({ DATABASE_URL: postgres, WORKERS: "0" })).toThrow("WORKERS: WORKERS must be at least 1");
  });

  it("refuses WORKERS > 1 with the embedded database, which belongs to one process", () => {
    expect(() => loadConfig({ DATABASE_URL: "memory:", WORKERS: "2" })).toThrow(
      "Invalid configuration:\n  WORKERS: WORKERS=2 needs a PostgreSQL server (DATABASE_URL=postgresql://…): " +
        "the embedded database belongs to one process",
    );
  });
});
