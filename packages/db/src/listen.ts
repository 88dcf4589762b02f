/**
 * LISTEN on one channel for the whole process: one dedicated connection (not one per subscriber, and not a pooled
 * one), reconnected whenever it drops. After every (re)connection `connected` is called, so the caller reads what it
 * may have missed from durable storage: a notification is only a nudge.
 */
import net from "node:net";
import pg from "pg";

export interface ListenHandlers {
  /** A notification arrived (its payload). */
  notify(payload: string): void;
  /** LISTEN is in place (first time, or again after the connection dropped): catch up from storage. */
  connected(): void;
  /** The connection failed or dropped; a new attempt follows by itself. */
  disconnected?(error: unknown): void;
}

export interface Listener {
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/** Between reconnection attempts: quick at first, then at most every two seconds. */
const RETRY_MS = [50, 100, 250, 500, 1000, 2000];

/**
 * Listens on `channel` of the PostgreSQL server at `url`. A silent network failure (no FIN, no RST) would leave
 * the connection waiting forever, so it is probed every `probeMs` and replaced when a probe gets no answer in time.
 */
export function listenPostgres(
  url: string,
  channel: string,
  handlers: ListenHandlers,
  options: { timeoutMs: number; probeMs?: number },
): Listener {
  const probeMs = options.probeMs ?? Math.max(1000, options.timeoutMs);
  let closed = false;
  let client: { pg: pg.Client; socket: net.Socket } | undefined;
  let retry: NodeJS.Timeout | undefined;
  let probe: NodeJS.Timeout | undefined;
  let failures = 0;

  const drop = (current: NonNullable<typeof client>, error: unknown) => {
    if (client !== current) return;
    client = undefined;
    clearInterval(probe);
    current.pg.removeAllListeners("notification");
    // end() waits for a goodbye a dead peer never sends; the socket is cut instead.
    current.socket.destroy();
    if (closed) return;
    handlers.disconnected?.(error);
    schedule();
  };

  const schedule = () => {
    const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!;
    failures++;
    retry = setTimeout(() => void connect(), delay);
  };

  const connect = async () => {
    if (closed) return;
    const socket = new net.Socket();
    const current = {
      socket,
      pg: new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: options.timeoutMs,
        query_timeout: options.timeoutMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: options.timeoutMs,
        application_name: "memory-mirror listener",
        stream: () => socket,
      }),
    };
    client = current;
    current.pg.on("error", (error) => drop(current, error));
    current.pg.on("end", () => drop(current, new Error("the listening connection ended")));
    current.pg.on("notification", (message) => {
      if (message.channel === channel) handlers.notify(message.payload ?? "");
    });
    try {
      await current.pg.connect();
      await current.pg.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      drop(current, error);
      return;
    }
    if (client !== current || closed) return;
    failures = 0;
    probe = setInterval(() => {
      current.pg.query("SELECT 1").catch((error: unknown) => drop(current, error));
    }, probeMs);
    probe.unref();
    handlers.connected();
  };

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(probe);
      const current = client;
      client = undefined;
      if (!current) return;
      current.pg.removeAllListeners();
      current.pg.on("error", () => {});
      const ended = current.pg.end().catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          current.socket.destroy();
          resolve();
        }, 1000);
      });
      await Promise.race([ended, late]).finally(() => clearTimeout(timer));
    },
  };
}
