/**
 * A TCP proxy tests put between a server and PostgreSQL to inject network faults:
 * - `pass`: forwards bytes both ways;
 * - `refuse`: not listening (connections are refused) and open connections are cut;
 * - `drop`: open connections are cut (RST), new ones are accepted and cut at once;
 * - `stall`: connections are accepted and nothing is answered, not even a FIN (a frozen server, a black-holed
 *   network); bytes are held back and delivered when the proxy passes again, as TCP would retransmit them.
 */
import net from "node:net";

export type FaultMode = "pass" | "refuse" | "drop" | "stall";

export interface FaultProxy {
  readonly port: number;
  readonly mode: FaultMode;
  /** Connections accepted so far (tests wait on it rather than sleep). */
  readonly accepted: number;
  /** Connections whose client has not closed its side (a stalled proxy never closes its own). */
  readonly open: number;
  /** Bytes from clients held back while stalled so far: a request has reached the "database" when it grows. */
  readonly held: number;
  /** `databaseUrl` pointed at the proxy instead of the server. */
  url(databaseUrl: string): string;
  set(mode: FaultMode): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  clientEnded: boolean;
  upstream: net.Socket | undefined;
  toUpstream: Buffer[];
  toClient: Buffer[];
}

/** A proxy in front of the PostgreSQL server `databaseUrl` names; starts in `pass` mode on a free port. */
export async function startFaultProxy(databaseUrl: string): Promise<FaultProxy> {
  const parsed = new URL(databaseUrl);
  const target = { host: parsed.hostname || "127.0.0.1", port: Number(parsed.port || 5432) };
  let mode: FaultMode = "pass";
  let accepted = 0;
  let held = 0;
  const pairs = new Set<Pair>();

  const cut = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.destroy();
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("data", (chunk: Buffer) => {
      if (mode === "pass") pair.client.write(chunk);
      else pair.toClient.push(chunk);
    });
    upstream.on("error", () => cut(pair));
    upstream.on("close", () => {
      if (mode === "pass") pair.client.end();
    });
    for (const chunk of pair.toUpstream.splice(0)) upstream.write(chunk);
  };

  // allowHalfOpen: a stalled server does not answer a client's FIN either.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    if (mode === "drop") {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, clientEnded: false, upstream: undefined, toUpstream: [], toClient: [] };
    pairs.add(pair);
    client.on("data", (chunk: Buffer) => {
      if (mode === "pass" && pair.upstream) return void pair.upstream.write(chunk);
      if (mode === "stall") held += chunk.length;
      pair.toUpstream.push(chunk);
    });
    client.on("end", () => {
      pair.clientEnded = true;
      if (mode === "pass") pair.upstream?.end();
    });
    client.on("error", () => cut(pair));
    client.on("close", () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (mode === "pass") connectUpstream(pair);
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    get held() {
      return held;
    },
    get open() {
      return [...pairs].filter((pair) => !pair.clientEnded).length;
    },
    url(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    async set(next) {
      const previous = mode;
      mode = next;
      if (next === "refuse" || next === "drop") for (const pair of [...pairs]) cut(pair);
      if (next === "refuse" && server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (next !== "refuse" && previous === "refuse") await listen(port);
      if (next === "pass") {
        for (const pair of pairs) {
          if (!pair.upstream) connectUpstream(pair);
          for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
          for (const chunk of pair.toUpstream.splice(0)) pair.upstream?.write(chunk);
        }
      }
    },
    async close() {
      mode = "refuse";
      for (const pair of [...pairs]) cut(pair);
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
