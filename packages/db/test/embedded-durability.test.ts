import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDb } from "../src/client.ts";
import { createTestDatabase, prepareClusterTemplate } from "../src/testing.ts";

// PGlite on Node runs with fsync off, and its file system turns fsync() into a no-op; see embedded.ts.
describe("embedded database on disk", () => {
  const temp = mkdtemp(path.join(tmpdir(), "mm-durable-"));
  beforeAll(() => prepareClusterTemplate()); // initdb, outside the test's time
  afterAll(async () => rm(await temp, { recursive: true, force: true }));

  it("acknowledges a commit only after fsync() of its WAL reached the disk", async () => {
    const { url } = await createTestDatabase("embedded", path.join(await temp, "data"));
    const db = await createDb(url);
    try {
      await db.migrate();
      const settings = await db.prisma.$queryRaw<{ fsync: string; method: string }[]>`
        SELECT current_setting('fsync') AS fsync, current_setting('wal_sync_method') AS method`;
      expect(settings).toEqual([{ fsync: "on", method: "fsync" }]);
      const fsync = vi.spyOn(fs, "fsyncSync");
      try {
        await db.prisma.videoAnalysis.create({
          data: { space: "default", videoId: "durable", description: "on disk" },
        });
        expect(fsync).toHaveBeenCalled();
      } finally {
        fsync.mockRestore();
      }
    } finally {
      await db.close();
    }
  });

  it("keeps PostgreSQL's buffer pool at 16 MB: it lives in the server's own memory (idle RSS)", async () => {
    const { url } = await createTestDatabase("embedded", path.join(await temp, "buffers"));
    const db = await createDb(url);
    try {
      const [row] = await db.prisma.$queryRaw<{ size: string }[]>`SELECT current_setting('shared_buffers') AS size`;
      expect(row?.size).toBe("16MB");
    } finally {
      await db.close();
    }
  });

  it("opens a directory written from the test template without crash recovery (which fsyncs every file first)", async () => {
    const { url } = await createTestDatabase("embedded", path.join(await temp, "fresh"));
    const fsync = vi.spyOn(fs, "fsyncSync");
    try {
      const db = await createDb(url);
      await db.close();
      // Recovery would sync all ~1,000 files of the cluster; a clean start and shutdown sync a few dozen.
      expect(fsync.mock.calls.length).toBeLessThan(200);
    } finally {
      fsync.mockRestore();
    }
  });
});
