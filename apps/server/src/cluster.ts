/**
 * WORKERS > 1: this process starts that many servers (Node's cluster) sharing its port and one PostgreSQL, and only
 * supervises them: the primary accepts connections and hands them out round-robin, so every core answers requests.
 * A server that dies after it started is replaced; one that fails to start stops them all (it already said why on
 * stderr, and its siblings would fail the same way). SIGTERM and SIGINT stop every server gracefully.
 */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "./logger.ts";
import { relayWritePositions } from "./write-positions.ts";

/**
 * What a server process sends over its IPC channel once it listens and its database is open: a worker to its
 * primary, and a primary (once all its first workers are) or a lone server to whatever spawned it with one (a
 * supervisor, the tests), which so learn it is ready whatever LOG_LEVEL lets the logs say.
 */
export const READY = "memory-mirror:ready";

/** Runs `count` workers until a signal stops them; resolves to the exit code for this process. */
export function superviseWorkers(count: number, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const started = new WeakSet<Worker>();
    let stopping = false;
    let exitCode = 0;
    const relay = relayWritePositions();
    let ready = 0;

    const fork = () => {
      const worker = cluster.fork();
      worker.on("message", (message) => {
        if (message !== READY) return relay(worker, message);
        started.add(worker);
        if (++ready === count) process.send?.(READY);
      });
    };
    const stopAll = (signal: NodeJS.Signals) => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    };

    cluster.on("exit", (worker, code, signal) => {
      if (!stopping && started.has(worker)) {
        logger.error({ pid: worker.process.pid, code, signal }, "a server process died; starting another");
        fork();
        return;
      }
      if (!stopping) {
        exitCode = code || 1;
        stopAll("SIGTERM");
      } else if (code && !exitCode) {
        exitCode = code;
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    });
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      // A terminal's Ctrl-C reaches the workers too (one process group); they stop once whichever signal comes first.
      process.on(signal, () => {
        if (stopping) return;
        logger.info({ signal, workers: count }, "stopping the server processes");
        stopAll("SIGTERM");
      });
    }
    logger.info({ workers: count }, "starting server processes");
    for (let i = 0; i < count; i++) fork();
  });
}
