/**
 * Another session of a test's PostgreSQL database, whose locks make the calls under test slow on demand: the
 * deterministic way to hold a call (a server share's slot, the pool's connection, a statement) for as long as a test
 * needs. For tests only: exported through @memory-mirror/db/testing.
 */
import pg from "pg";

export class Locker extends pg.Client {
  static async open(databaseUrl: string): Promise<Locker> {
    const locker = new Locker({ connectionString: databaseUrl });
    await locker.connect();
    return locker;
  }

  /** Backends of this database waiting on a lock; in the locker's transaction the view is a snapshot, cleared here. */
  async waitingOnLocks(): Promise<number> {
    await this.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await this.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
    );
    return Number(rows[0]?.n);
  }

  /** Resolves once at least `count` backends wait on a lock. */
  async untilWaiting(count: number): Promise<void> {
    while ((await this.waitingOnLocks()) < count) await new Promise((r) => setTimeout(r, 20));
  }

  /** Runs `during` while this session holds `lock` (SQL run in its transaction), and rolls back whatever happens. */
  async whileLocked<T>(lock: string[], during: () => Promise<T>): Promise<T> {
    await this.query("BEGIN");
    try {
      for (const sql of lock) await this.query(sql);
      return await during();
    } finally {
      await this.query("ROLLBACK");
    }
  }
}
