import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "../src/client.ts";
import { DatabaseConfigError } from "../src/config.ts";

// Two PGlite instances writing one data directory corrupt it; only one may hold it at a time.
describe("embedded data directory", () => {
  const temp = mkdtemp(path.join(tmpdir(), "mm-lock-"));
  afterAll(async () => rm(await temp, { recursive: true, force: true }));

  it("has one owner at a time, is released by close() and keeps its data", async () => {
    const url = `file:${path.join(await temp, "data")}`;
    let started = performance.now();
    const first = await createDb(url);
    const createMs = performance.now() - started;
    try {
      await first.migrate();
      await first.prisma.videoAnalysis.create({ data: { space: "default", videoId: "v1", description: "persisted" } });

      const second = createDb(url);
      await expect(second).rejects.toThrow(DatabaseConfigError);
      await expect(second).rejects.toThrow(/is in use/);
    } finally {
      await first.close();
    }

    started = performance.now();
    const reopened = await createDb(url);
    const reopenMs = performance.now() - started;
    try {
      expect(await reopened.pendingMigrations()).toEqual([]);
      expect(await reopened.prisma.videoAnalysis.findUnique({ where: { space_videoId: { space: "default", videoId: "v1" } } })).toMatchObject({
        description: "persisted",
      });
    } finally {
      await reopened.close();
    }
    console.info(`embedded: create (initdb) ${createMs.toFixed(0)} ms, reopen ${reopenMs.toFixed(0)} ms`);
  });
});
