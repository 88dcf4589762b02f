/**
 * The embedded database runs its statements one after the other, each synchronously on this thread (PostgreSQL in
 * wasm), and PGlite hands its lock from one to the next in promise callbacks: a queue of statements ran in one
 * event-loop turn, the loop's I/O waiting for all of them. Since libuv 1.45 (Node 20) a server accepts one new
 * connection per turn (libuv/libuv#3696), so under load a turn holding every queued request's statement (100–500 ms
 * on a busy machine) let new connections wait in the kernel's backlog for seconds: the embedded p99 spikes of
 * docs/performance.md ("The embedded tails: one accept per event-loop turn"). Here every statement (or transaction) starts in a
 * turn of its own, after the loop has polled for I/O, so connections are accepted, requests read and timers run
 * between statements, in the lock's first-come order.
 */
import type { PGlite } from "@electric-sql/pglite";

type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

/** The next turn of the event loop: setImmediate runs after the poll phase, and one queued during a turn waits for the next. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Makes `pglite` start each holder of its statement lock in a turn of its own. The lock is PGlite's outer one, taken
 * by query, exec, transaction and describeQuery alike (a transaction's own statements run inside it, unchanged).
 */
export function oneStatementPerTurn(pglite: PGlite): void {
  const instance = pglite as unknown as { _runExclusiveTransaction?: Exclusive };
  const exclusive = instance._runExclusiveTransaction?.bind(pglite);
  // Fail loudly rather than run without it (a PGlite upgrade may rename it): the tails would come back unnoticed.
  if (!exclusive) throw new Error("PGlite has no _runExclusiveTransaction: cannot give each statement its own turn");
  instance._runExclusiveTransaction = (fn) =>
    exclusive(async () => {
      await nextTurn();
      return fn();
    });
}
