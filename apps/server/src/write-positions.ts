/**
 * WORKERS > 1 with replicas: read-your-writes across the server processes. A worker that wrote tells the primary
 * process the write's WAL position; the primary passes it to every other worker and answers once each has recorded
 * it (or after ACK_TIMEOUT_MS), and only then does the write answer its caller. A read sent after that answer, to
 * any worker, waits for a replica that has the write (see @memory-mirror/db's replicas.ts).
 */
import cluster, { type Worker } from "node:cluster";
import type { ReadRouting } from "@memory-mirror/db";

const WROTE = "memory-mirror:wrote";
const HEARD = "memory-mirror:heard";
const SHARED = "memory-mirror:shared";
/** A worker that does not answer in this time (stuck, dying) is not waited for. */
const ACK_TIMEOUT_MS = 500;

interface Message {
  type: string;
  id: number;
  key?: string;
  lsn?: string;
}

const isMessage = (value: unknown, type: string): value is Message =>
  typeof value === "object" && value !== null && (value as Message).type === type;

/** In a worker: publishes this process's write positions, and records the others'. */
export function shareWritePositions() {
  let routing: ReadRouting | undefined;
  // Positions heard before the database was open: recorded once it is.
  const early: [string, string][] = [];
  const waiting = new Map<number, () => void>();
  let nextId = 0;
  process.on("message", (message: unknown) => {
    if (isMessage(message, WROTE) && message.key && message.lsn) {
      if (routing) routing.heard(message.key, message.lsn);
      else early.push([message.key, message.lsn]);
      process.send?.({ type: HEARD, id: message.id });
    } else if (isMessage(message, SHARED)) {
      waiting.get(message.id)?.();
    }
  });
  return {
    // A function property: it is handed on detached (createDb's onWrote).
    publish: (key: string, lsn: string): Promise<void> => {
      const id = nextId++;
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve();
        };
        const timer = setTimeout(done, ACK_TIMEOUT_MS);
        waiting.set(id, done);
        process.send?.({ type: WROTE, id, key, lsn });
      });
    },
    attach(reads: ReadRouting): void {
      routing = reads;
      for (const [key, lsn] of early.splice(0)) reads.heard(key, lsn);
    },
  };
}

/** In the primary process: passes each worker's write positions to the others and tells it when they have them. */
export function relayWritePositions(): (from: Worker, message: unknown) => void {
  const pending = new Map<number, () => void>();
  let nextId = 0;
  return (from, message) => {
    if (isMessage(message, HEARD)) return pending.get(message.id)?.();
    if (!isMessage(message, WROTE)) return;
    const answer = () => {
      if (from.isConnected()) from.send({ type: SHARED, id: message.id });
    };
    const others = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker !== undefined && worker !== from && worker.isConnected(),
    );
    if (others.length === 0) return answer();
    const id = nextId++;
    let left = others.length;
    const done = () => {
      clearTimeout(timer);
      pending.delete(id);
      answer();
    };
    const timer = setTimeout(done, ACK_TIMEOUT_MS);
    pending.set(id, () => {
      if (--left === 0) done();
    });
    for (const worker of others) worker.send({ type: WROTE, id, key: message.key, lsn: message.lsn });
  };
}
