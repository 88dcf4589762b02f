/**
 * Regression test for the embedded database's files: under `umask 0` they were world-writable (0666 files, 0755 or
 * 0777 folders, WAL included). The data directory is owner-only (0700) whatever the umask, and an existing one that
 * is open to others is tightened when the database opens.
 */
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/client.ts";
import { createTestDatabase, prepareClusterTemplate } from "../src/testing.ts";

describe("the embedded database's data directory", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "mm-perms-"));
    await prepareClusterTemplate(); // initdb, outside the test's time
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const modeOf = async (dir: string) => (await stat(dir)).mode & 0o777;

  it("is made owner-only when it opens, a directory written under umask 0 included", async () => {
    const shared = path.join(root, "shared");
    // Test files run one at a time per worker; the umask is restored before anything else runs here.
    const previous = process.umask(0);
    try {
      const { url } = await createTestDatabase("embedded", shared);
      await chmod(shared, 0o777);
      const db = await createDb(url);
      await db.prisma.$queryRaw`SELECT 1`;
      await db.close();
    } finally {
      process.umask(previous);
    }
    expect((await modeOf(shared)).toString(8)).toBe("700");
  });
});
