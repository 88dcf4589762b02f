/**
 * The embedded database: PostgreSQL compiled to wasm (PGlite), in this process, persisted to a directory.
 */
import fs from "node:fs";
import { chmod, mkdir, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { acquireDirectoryLock, type DirectoryLock, DirectoryLockedError } from "./lock.ts";
import { DatabaseConfigError } from "./config.ts";
import type { Transactor } from "./migrate.ts";
import { PGLITE_EXTENSIONS } from "./pglite-extensions.ts";
import { sessionSettingsSql } from "./session-settings.ts";
import { oneStatementPerTurn } from "./turns.ts";

export const LOCK_FILE = ".memory-mirror.lock";

/**
 * PGlite on Node starts PostgreSQL with `-F` (fsync off), and even with fsync on its file system (emscripten's
 * NODEFS) has no fsync: PostgreSQL's fsync() "succeeds" having done nothing, and `fdatasync` (the default
 * wal_sync_method) is a no-op in emscripten's libc. Writes still reach the OS at once (so a killed process loses
 * nothing), but not the disk. Here fsync is on, the WAL is synced with fsync(), and NODEFS's fsync calls the real
 * one, so a commit is acknowledged only once its WAL is on disk (an OS crash or power loss keeps it).
 */
const DURABLE_START_PARAMS = [
  ...PGlite.defaultStartParams.filter((param) => param !== "-F"),
  "-c",
  "fsync=on",
  "-c",
  "wal_sync_method=fsync",
  // PostgreSQL's 128 MB default buffer pool lives in this process's wasm memory and filled the idle server's RSS
  // (349 MB at 10,000 rows; 16 MB: see docs/performance.md); pages beyond it come from the OS's file cache.
  "-c",
  "shared_buffers=16MB",
];

/** WASI's EIO: PostgreSQL treats a failed fsync as fatal (PANIC), which is what a lost write deserves. */
const WASI_EIO = 29;

type Module = Parameters<NodeFS["init"]>[1];
type StreamOps = { fsync?: (stream: { nfd?: number }) => number };

class SyncingNodeFS extends NodeFS {
  override async init(pg: PGlite, options: Module) {
    const result = await super.init(pg, options);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [...preRun, (mod) => installFsync(mod)];
    return result;
  }
}

function installFsync(mod: Module): void {
  const ops = (mod.NODEFS as unknown as { stream_ops?: StreamOps } | undefined)?.stream_ops;
  // Fail loudly rather than run without the durability the README promises (a PGlite upgrade may move this).
  if (!ops) throw new Error("PGlite's NODEFS has no stream_ops: cannot make fsync reach the disk");
  ops.fsync = (stream) => {
    if (stream.nfd === undefined) return 0;
    try {
      fs.fsyncSync(stream.nfd);
      return 0;
    } catch {
      return WASI_EIO;
    }
  };
}

export interface EmbeddedDriver {
  pglite: PGlite;
  transact: Transactor;
  query<Row>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Opens the in-memory PGlite (instead of `new PGlite()`, which runs initdb; see template.ts). */
  openInMemory?: (() => Promise<PGlite>) | undefined;
}

export async function openEmbedded(
  dataDir: string | undefined,
  options: EmbeddedOptions = {},
): Promise<EmbeddedDriver> {
  let lock: DirectoryLock | undefined;
  let pglite: PGlite;
  if (dataDir) {
    await makePrivate(dataDir);
    lock = await lockDataDir(dataDir);
    try {
      pglite = await PGlite.create({
        fs: new SyncingNodeFS(dataDir),
        startParams: DURABLE_START_PARAMS,
        extensions: PGLITE_EXTENSIONS,
      });
    } catch (error) {
      await lock.release();
      throw error;
    }
  } else {
    pglite = await (options.openInMemory ? options.openInMemory() : PGlite.create({ extensions: PGLITE_EXTENSIONS }));
  }
  try {
    // Inside the try: if a PGlite upgrade removed what it wraps, the database closes and its directory is unlocked.
    oneStatementPerTurn(pglite);
    // Its one session, for good (PGlite has no statement_timeout: it runs no timers).
    await pglite.exec(sessionSettingsSql());
  } catch (error) {
    await pglite.close().catch(() => {});
    await lock?.release();
    throw error;
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

/**
 * The data directory, owner-only (0700) whatever the umask: PGlite creates its files (WAL included) with the
 * process's umask, 0666 under `umask 0`, and a private directory keeps every other user out of all of them. An
 * existing directory is tightened, and one that cannot be (another user's) stops the start with the fix to run.
 */
async function makePrivate(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    if (((await stat(dataDir)).mode & 0o077) !== 0) await chmod(dataDir, 0o700);
  } catch (error) {
    throw new Error(
      `The embedded database's directory ${dataDir} is open to other users and could not be made private ` +
        `(${(error as Error).message}): run chmod 700 ${dataDir} as its owner`,
      { cause: error },
    );
  }
}

async function lockDataDir(dataDir: string): Promise<DirectoryLock> {
  try {
    return await acquireDirectoryLock(path.join(dataDir, LOCK_FILE));
  } catch (error) {
    if (!(error instanceof DirectoryLockedError)) throw error;
    const holder = error.owner
      ? ` (process ${error.owner.pid} on ${error.owner.hostname}, since ${error.owner.since})`
      : "";
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
