/**
 * PostgreSQL's way to stop a running statement: a CancelRequest with the backend's process id and secret key, sent
 * on a connection of its own (a backend at work reads nothing from its own connection). It needs no login and no
 * pooled connection, so it goes through even when the pool is saturated. pg keeps the key data on each client and
 * sends the message itself (`Connection#cancel`, what its own `Client#cancel` uses); @types/pg declares neither.
 */
import pg from "pg";

declare module "pg" {
  interface ClientBase {
    /** BackendKeyData of the session, set once connected. */
    readonly processID: number | null;
    readonly secretKey: number | null;
  }
  interface Connection {
    connect(port: number | string, host?: string): void;
    cancel(processID: number, secretKey: number): void;
  }
}

/**
 * Asks the server to cancel whatever `target`'s backend runs. Resolves true once the server has taken the request
 * (it signals the backend, then closes the connection: true to PostgreSQL's word only when `url` reaches PostgreSQL
 * itself; a pooler may close it first, hence DATABASE_CANCEL_ON_HANGUP in config.ts), false when that did not happen within `ms` (the request may
 * still arrive later: the caller must not hand `target` to another statement then).
 */
export function cancelBackend(url: string, target: pg.ClientBase, ms: number): Promise<boolean> {
  const { processID, secretKey } = target;
  if (processID === null || secretKey === null) return Promise.resolve(false);
  // An unconnected client only for its parsed address and TLS settings, the ones the pool's clients use.
  const { connection, host, port } = new pg.Client({ connectionString: url });
  return new Promise((resolve) => {
    const done = (taken: boolean) => {
      clearTimeout(timer);
      connection.stream.destroy();
      resolve(taken);
    };
    const timer = setTimeout(() => done(false), ms);
    connection.once("connect", () => connection.cancel(processID, secretKey));
    connection.once("end", () => done(true));
    connection.once("error", () => done(false));
    if (host.startsWith("/")) connection.connect(`${host}/.s.PGSQL.${port}`);
    else connection.connect(port, host);
  });
}
