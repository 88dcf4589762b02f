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

  it("acknowledges a commit only after fsync() of its WAL file: the sync comes between the statement and the answer", async () => {
    const dataDir = path.join(await temp, "data");
    const { url } = await createTestDatabase("embedded", dataDir);
    const db = await createDb(url);
    try {
      await db.migrate();
      const settings = await db.prisma.$queryRaw<{ fsync: string; method: string }[]>`
        SELECT current_setting('fsync') AS fsync, current_setting('wal_sync_method') AS method`;
      expect(settings).toEqual([{ fsync: "on", method: "fsync" }]);
      // What happened, in order: which file each fsync() synced (its descriptor's path), and the commit's steps.
      const events: string[] = [];
      const realFsync = fs.fsyncSync.bind(fs);
      const fsync = vi.spyOn(fs, "fsyncSync").mockImplementation((fd) => {
        events.push(`fsync ${path.relative(dataDir, fs.readlinkSync(`/proc/self/fd/${fd}`))}`);
        realFsync(fd);
      });
      try {
        await db.prisma.$transaction(async (tx) => {
          await tx.videoAnalysis.create({ data: { space: "default", videoId: "durable", description: "on disk" } });
          events.push("inserted, not committed");
        });
        events.push("commit acknowledged");
      } finally {
        fsync.mockRestore();
      }
      const commit = events.slice(events.indexOf("inserted, not committed") + 1, events.indexOf("commit acknowledged"));
      expect(commit.filter((event) => event.startsWith("fsync pg_wal/"))).not.toEqual([]);
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
