/**
 * Regression test for secrets in DATABASE_URL: a password given as a URL parameter (`?password=…`, as libpq allows)
 * was printed in the start-up log; every secret in the URL is redacted, not only the user-info part.
 */
import { createTestDatabase, testTargets } from "@memory-mirror/db/testing";
import { redact } from "@memory-mirror/db";
import { describe, expect, it } from "vitest";
import { startServerProcess } from "./server-process.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

describe("secrets in DATABASE_URL", () => {
  it("redacts passwords in the user-info and in parameters, whatever their case", () => {
    expect(redact("postgresql://mm:s3cret@host/db?password=hunter2&sslpassword=pem&sslmode=require")).toBe(
      "postgresql://mm:***@host/db?password=***&sslpassword=***&sslmode=require",
    );
    expect(redact("postgresql://mm:s3cret@[bad/db?PASSWORD=hunter2")).not.toMatch(/s3cret|hunter2/);
  });

  it.skipIf(!!postgres?.skip)("never prints a password given as a URL parameter in the start-up log", async () => {
    const database = await createTestDatabase("postgres");
    const url = new URL(database.url);
    url.searchParams.set("password", "hunter2-in-the-query");
    const server = await startServerProcess({ DATABASE_URL: url.toString() });
    try {
      const listening = await server.logged("Memory Mirror listening");
      expect(listening.database).toContain("password=***");
      expect(JSON.stringify(server.logs)).not.toContain("hunter2");
      expect(server.stderr()).not.toContain("hunter2");
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await database.drop();
    }
  });
});
