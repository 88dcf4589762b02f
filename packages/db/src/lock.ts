/**
 * One owner per embedded data directory (two PGlite instances writing one directory corrupt it).
 *
 * Like PostgreSQL's postmaster.pid, the lock file names its owner (pid and hostname), so a lock left behind by a
 * killed process is recognised at once: same host and `kill(pid, 0)` fails with ESRCH. An age-based lock
 * (proper-lockfile) refused restarts for its whole staleness period after `kill -9`.
 *
 * Creation is exclusive (O_EXCL semantics, through link(2) so the file appears with its content and a reader never
 * sees it half written). A dead owner's file is removed only by the process holding its claim file
 * (`<lock>.claim-<token>`, also created exclusively), which checks that the lock still carries that token before
 * removing it: of several processes taking over at once, exactly one removes it and the others find the winner's
 * fresh lock.
 */
import { randomUUID } from "node:crypto";
import { link, readFile, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";

export interface LockOwner {
  pid: number;
  hostname: string;
  /** Unique per acquisition: tells this lock apart from an earlier one by a process that had the same pid. */
  token: string;
  since: string;
}

export class DirectoryLockedError extends Error {
  override name = "DirectoryLockedError";
  constructor(
    readonly file: string,
    /** The holder; undefined for a lock of an older version of this service. */
    readonly owner: LockOwner | undefined,
  ) {
    super(
      owner
        ? `${file} is held by process ${owner.pid} on ${owner.hostname} since ${owner.since}`
        : `${file} is held by another process`,
    );
  }
}

export interface DirectoryLock {
  readonly file: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

/**
 * Lock and claim files this process holds: a file naming our own pid is ours only if listed here (a container's
 * server is pid 1 after every restart).
 */
const heldHere = new Set<string>();

/** proper-lockfile (earlier versions) kept a directory, refreshed every few seconds, stale after 10 s. */
const LEGACY_STALE_MS = 10_000;

const errno = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Takes the lock at `file` or throws DirectoryLockedError naming the live holder. */
export async function acquireDirectoryLock(file: string): Promise<DirectoryLock> {
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    token: randomUUID(),
    since: new Date().toISOString(),
  };
  // Each round either takes the lock, refuses, or removes a dead owner's lock; rounds repeat only while other
  // processes are in the middle of the same (microseconds), so a few dozen are plenty.
  for (let round = 0; round < 50; round++) {
    if (await createExclusive(file, me)) {
      heldHere.add(file);
      return { file, owner: me, release: () => release(file, me) };
    }
    const current = await readLock(file);
    if (current.state === "missing") continue; // released meanwhile: try again
    if (current.state === "legacy") {
      if (Date.now() - current.mtimeMs < LEGACY_STALE_MS) throw new DirectoryLockedError(file, undefined);
      await rmdir(file).catch(() => {});
      continue;
    }
    if (current.state === "owned" && isAlive(file, current.owner)) throw new DirectoryLockedError(file, current.owner);
    // A dead owner, or content no process of ours writes (an OS crash can leave a lock file empty).
    if (current.state === "unreadable" && round < 5) {
      await pause(20); // …or a writer without hard links, between create and write
      continue;
    }
    await removeStale(file, current.identity, me, 0);
  }
  throw new Error(`Could not take the lock ${file}: it keeps changing hands`);
}

async function release(file: string, me: LockOwner): Promise<void> {
  heldHere.delete(file);
  const current = await readLock(file);
  if (current.state === "owned" && current.owner.token === me.token) await unlink(file).catch(() => {});
}

/** Whether the holder may still be running. Another host's process cannot be checked: assume it is. */
function isAlive(file: string, owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return errno(error) !== "ESRCH"; // EPERM: it exists, under another user
  }
}

type LockState =
  | { state: "missing" }
  | { state: "legacy"; mtimeMs: number }
  | { state: "owned"; owner: LockOwner; identity: string }
  | { state: "unreadable"; identity: string };

async function readLock(file: string): Promise<LockState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errno(error) === "ENOENT") return { state: "missing" };
    if (errno(error) === "EISDIR") return { state: "legacy", mtimeMs: (await stat(file)).mtimeMs };
    throw error;
  }
  const owner = parseOwner(text);
  if (owner) return { state: "owned", owner, identity: owner.token };
  // No token to name it by: the inode and the content tell this file from any later one (which has a token).
  const { ino } = await stat(file).catch(() => ({ ino: 0 }));
  return { state: "unreadable", identity: `x${ino}-${Buffer.from(text).toString("hex").slice(0, 32)}` };
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === "number" && typeof value.hostname === "string" && typeof value.token === "string") {
      return { pid: value.pid, hostname: value.hostname, token: value.token, since: String(value.since ?? "") };
    }
  } catch {
    // not ours
  }
  return undefined;
}

async function identityOf(file: string): Promise<string | undefined> {
  const current = await readLock(file);
  return current.state === "owned" || current.state === "unreadable" ? current.identity : undefined;
}

/**
 * Removes `file` if it still is the one named `identity`. Only the holder of `<file>.claim-<identity>` removes it,
 * so no process can remove a lock another one created after it looked. A claim left by a process killed while
 * holding it is itself removed the same way (`depth` bounds that recursion).
 */
async function removeStale(file: string, identity: string, me: LockOwner, depth: number): Promise<void> {
  const claim = `${file}.claim-${identity}`;
  if (!(await createExclusive(claim, me))) {
    const claimer = await readLock(claim);
    if (claimer.state === "missing") return;
    if (claimer.state === "owned" && isAlive(claim, claimer.owner)) {
      await pause(10); // it is removing it right now
      return;
    }
    if (depth < 3 && (claimer.state === "owned" || claimer.state === "unreadable")) {
      await removeStale(claim, claimer.identity, me, depth + 1);
    }
    return;
  }
  heldHere.add(claim);
  try {
    if ((await identityOf(file)) === identity) await unlink(file).catch(() => {});
  } finally {
    heldHere.delete(claim);
    await unlink(claim).catch(() => {});
  }
}

/** Creates `file` with the owner's record if it does not exist; false if it does. */
async function createExclusive(file: string, owner: LockOwner): Promise<boolean> {
  const content = `${JSON.stringify(owner)}\n`;
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { flag: "wx" });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if (errno(error) === "EEXIST") return false;
    // Filesystems without hard links: plain O_EXCL (a reader may then briefly see the file empty; see above).
    if (["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"].includes(errno(error) ?? "")) {
      try {
        await writeFile(file, content, { flag: "wx" });
        return true;
      } catch (inner) {
        if (errno(inner) === "EEXIST") return false;
        throw inner;
      }
    }
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}
