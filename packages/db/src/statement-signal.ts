/**
 * How a caller's abort signal reaches the pooled connection that runs its statement. The driver adapter
 * (@prisma/adapter-pg) builds the statement's pg config itself and has no place for a signal, but it calls the pool
 * synchronously from `queryRaw` (no await on the way): `queryDriver` lends the signal for that synchronous call and
 * the pool's `query` (postgres.ts) takes it on entry. Nothing else can take it in between (one thread), and it never
 * outlives the call: a statement started any other way runs without one. A test fails if an adapter upgrade adds an
 * await on that path (packages/db/test/cancel.test.ts: the signal would go unheard, the statement uncancelled).
 */
let lent: AbortSignal | undefined;

/** Runs `start` (which must reach the pool synchronously) with `signal` lent to the statement it starts. */
export function withStatementSignal<T>(signal: AbortSignal, start: () => T): T {
  lent = signal;
  try {
    return start();
  } finally {
    lent = undefined;
  }
}

/** The signal lent to the statement being started, if any; taken once. */
export function takeStatementSignal(): AbortSignal | undefined {
  const signal = lent;
  lent = undefined;
  return signal;
}
