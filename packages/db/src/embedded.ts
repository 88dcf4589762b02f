/**
 * The embedded database: PostgreSQL compiled to wasm (PGlite), in this process, persisted to a directory.
 */
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { acquireDirectoryLock, type DirectoryLock, DirectoryLockedError } from "./lock.ts";
import { DatabaseConfigError } from "./config.ts";
import type { Transactor } from "./migrate.ts";

export const LOCK_FILE = ".memory-mirror.lock";

export interface EmbeddedDriver {
  pglite: PGlite;
  transact: Transactor;
  query<Row>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

export async function openEmbedded(dataDir: string | undefined): Promise<EmbeddedDriver> {
  let lock: DirectoryLock | undefined;
  let pglite: PGlite;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
    try {
      pglite = await PGlite.create(dataDir);
    } catch (error) {
      await lock.release();
      throw error;
    }
  } else {
    pglite = await PGlite.create();
  }
  return {
    pglite,
    transact: (fn) =>
      pglite.transaction((tx) =>
        fn({
          query: async (sql, params) => (await tx.query(sql, params)).rows as never,
          exec: async (sql) => void (await tx.exec(sql)),
        }),
      ),
    query: async (sql) => (await pglite.query(sql)).rows as never,
    async close() {
      try {
        await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

async function lockDataDir(dataDir: string): Promise<DirectoryLock> {
  try {
    return await acquireDirectoryLock(path.join(dataDir, LOCK_FILE));
  } catch (error) {
    if (!(error instanceof DirectoryLockedError)) throw error;
    const holder = error.owner ? ` (process ${error.owner.pid} on ${error.owner.hostname}, since ${error.owner.since})` : "";
    throw new DatabaseConfigError(
      `The embedded database in ${dataDir} is in use by another process${holder} (a running server?). ` +
        `Stop it first, or use a PostgreSQL server (DATABASE_URL=postgresql://…) to run several processes on one database.` +
        (error.owner && error.owner.hostname !== hostname()
          ? ` If nothing runs on ${error.owner.hostname} any more, delete ${error.file}.`
          : ""),
      "DATABASE_URL",
    );
  }
}
