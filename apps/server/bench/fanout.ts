/**
 * The fan-out scenario: `subscribers` open change streams (GET /api/changes) on one server process, then `writes`
 * updates are made one after another; for each write and each subscriber, the time from the write's acknowledgement
 * (its HTTP answer) to the event's arrival. Also the server's resident memory per idle open stream. Aims (issue 17):
 * p99 ≤ 250 ms at 1,000 subscribers, ≤ 50 KB per idle stream.
 *
 * The subscribers are plain node:http responses in this process (no SSE library: parsing is a string search), so
 * what is measured is the server's work, plus this process reading 1,000 sockets.
 */
import { Agent, get, type IncomingMessage } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { type ProbeMemory, readMemory, readProbe, type Running } from "./processes.ts";

export interface FanoutResult {
  subscribers: number;
  writes: number;
  /** Write acknowledged → event received, over every (write, subscriber) pair; 0 when it arrived before the ack. */
  ackToDeliveryMs: { p50: number; p99: number; max: number };
  /** Write sent → event received at its last subscriber (the write's own time included). */
  sendToLastMs: { p50: number; p99: number };
  /**
   * CPU time per write (the write and its delivery to every subscriber): the server's, and this process's reading
   * the streams. On a machine with cores to spare, delivery takes about this long; on a loaded one, longer.
   */
  cpuMsPerWrite: { server: number; subscribers: number };
  /** Server RSS with no stream and with every stream open and idle (after a full GC each), and per stream. */
  rssMb: { before: number; idleStreams: number };
  rssKbPerIdleStream: number;
  /** The same for the JavaScript heap (and buffers outside it): what the streams' objects take. */
  heapKbPerIdleStream: number;
}

const VIDEO = "bench-fanout";

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;
const live = (m: ProbeMemory) => m.heapUsed + m.external;

/** One subscriber: resolves `ready` once the stream's "ready" event arrived; calls `onVersion` for each change. */
function subscribe(
  url: string,
  apiKey: string,
  agent: Agent,
  onVersion: (version: number) => void,
): { ready: Promise<void>; close(): void } {
  let response: IncomingMessage | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const request = get(
      `${url}/api/changes?video_id=${VIDEO}`,
      { agent, headers: { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" } },
      (res) => {
        response = res;
        if (res.statusCode !== 200) return reject(new Error(`a subscriber got ${res.statusCode}`));
        res.setEncoding("utf8");
        let buffer = "";
        res.on("data", (chunk: string) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.includes('"type":"ready"')) resolve();
            const version = /"version":(\d+)/.exec(block)?.[1];
            if (version !== undefined) onVersion(Number(version));
          }
        });
      },
    );
    request.on("error", reject);
  });
  return { ready, close: () => response?.destroy() };
}

export async function measureFanout(
  server: Running,
  apiKey: string,
  { subscribers, writes }: { subscribers: number; writes: number },
): Promise<FanoutResult> {
  const write = (version: number) =>
    fetch(`${server.url}/api/video-analysis/${version === 1 ? "" : VIDEO}`, {
      method: version === 1 ? "POST" : "PUT",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ ...(version === 1 ? { video_id: VIDEO } : {}), description: `fan-out write ${version}` }),
    }).then(async (r) => {
      if (!r.ok) throw new Error(`write ${version}: ${r.status} ${await r.text()}`);
    });
  // The video exists before anyone subscribes; its later versions are the measured writes.
  await fetch(`${server.url}/api/video-analysis/${VIDEO}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${apiKey}` },
  });
  await write(1);

  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  await delay(1000);
  const before = await readMemory(server);
  // arrivals[version][subscriber]: when that subscriber received that version.
  const arrivals = new Map<number, number[]>();
  const streams = [];
  for (let i = 0; i < subscribers; i += 100) {
    const batch = Array.from({ length: Math.min(100, subscribers - i) }, () =>
      subscribe(server.url, apiKey, agent, (version) => {
        let at = arrivals.get(version);
        if (!at) arrivals.set(version, (at = []));
        at.push(performance.now());
      }),
    );
    await Promise.all(batch.map((s) => s.ready));
    streams.push(...batch);
  }
  await delay(2000);
  const idleStreams = await readMemory(server);

  const ackToDelivery: number[] = [];
  const sendToLast: number[] = [];
  await readProbe(server); // starts the server's CPU window
  const ownCpu = process.cpuUsage();
  try {
    for (let version = 2; version < writes + 2; version++) {
      const sent = performance.now();
      await write(version);
      const acked = performance.now();
      for (let waited = 0; (arrivals.get(version)?.length ?? 0) < subscribers; waited += 5) {
        if (waited > 30_000)
          throw new Error(`write ${version} reached ${arrivals.get(version)?.length ?? 0} subscribers in 30 s`);
        await delay(5);
      }
      const at = arrivals.get(version)!;
      for (const t of at) ackToDelivery.push(Math.max(0, t - acked));
      sendToLast.push(Math.max(...at) - sent);
      // Writes apart, as a person's or a service's would be: each measured on its own.
      await delay(100);
    }
  } finally {
    for (const s of streams) s.close();
    agent.destroy();
  }
  const serverCpuMs = (await readProbe(server)).cpuMs;
  const own = process.cpuUsage(ownCpu);
  ackToDelivery.sort((a, b) => a - b);
  sendToLast.sort((a, b) => a - b);
  return {
    subscribers,
    writes,
    ackToDeliveryMs: {
      p50: round(percentile(ackToDelivery, 50)),
      p99: round(percentile(ackToDelivery, 99)),
      max: round(ackToDelivery.at(-1) ?? Number.NaN),
    },
    sendToLastMs: { p50: round(percentile(sendToLast, 50)), p99: round(percentile(sendToLast, 99)) },
    cpuMsPerWrite: { server: round(serverCpuMs / writes), subscribers: round((own.user + own.system) / 1000 / writes) },
    rssMb: { before: round(before.rss / 2 ** 20), idleStreams: round(idleStreams.rss / 2 ** 20) },
    rssKbPerIdleStream: round((idleStreams.rss - before.rss) / 1024 / subscribers),
    heapKbPerIdleStream: round((live(idleStreams) - live(before)) / 1024 / subscribers),
  };
}
