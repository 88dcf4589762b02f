import { openTestDb, type TestTargetName } from "@memory-mirror/db/testing";
import { afterAll, beforeAll } from "vitest";
import { ANONYMOUS, createCaller, createContext, type Principal } from "../../src/index.ts";

export interface CallerOptions {
  historyLimit?: number;
  principal?: Principal;
  maxBytes?: number;
}

/**
 * Opens the target's test database before the suite's tests and disposes of it after them, with a caller in
 * `space`. Call it first in the describe block, so that the suite's own beforeAll hooks find the database open; read
 * `db` and `caller` only inside hooks and tests.
 */
export function useTestDatabase(target: TestTargetName, space = "default") {
  let db: Awaited<ReturnType<typeof openTestDb>> | undefined;
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the test database opens in beforeAll: read it inside hooks and tests");
    return value;
  };
  /** A caller acting in `space`, anonymous and with row and byte limits no test reaches unless it sets them. */
  const callerIn = (space: string, options: CallerOptions = {}) =>
    createCaller(() =>
      createContext({
        prisma: opened(db).prisma,
        principal: options.principal ?? ANONYMOUS,
        space,
        historyLimit: options.historyLimit,
        limits: { maxRows: 10_000, maxBytes: options.maxBytes ?? 64 * 1024 * 1024 },
      }),
    );
  let caller: ReturnType<typeof callerIn> | undefined;

  beforeAll(async () => {
    db = await openTestDb(target);
    caller = callerIn(space);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  return {
    get db() {
      return opened(db);
    },
    get caller() {
      return opened(caller);
    },
    callerIn,
  };
}
