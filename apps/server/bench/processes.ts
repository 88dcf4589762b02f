/** Child processes for the benchmark: servers on free ports, what they use while measured, and stopping them. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";

export interface Running {
  url: string;
  child: ChildProcess;
}

/**
 * A port nobody listens on: one the OS picks, or with BENCH_PORTS=<first>-<last> the first free one of that range
 * (on a machine shared by several people, each keeps to the ports they were given). A chosen port is not offered
 * again by this process, so servers started one after the other never race for it.
 */
export async function freePort(): Promise<number> {
  const range = process.env.BENCH_PORTS?.match(/^(\d+)-(\d+)$/);
  if (!range) return listensOn(0);
  for (let port = Number(range[1]); port <= Number(range[2]); port++) {
    if (given.has(port)) continue;
    const free = await listensOn(port).then(
      () => true,
      () => false,
    );
    if (free) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`BENCH_PORTS=${process.env.BENCH_PORTS}: no free port left in that range`);
}
const given = new Set<number>();

/** Listens on `port` (0: any) at 127.0.0.1 and closes again; resolves to the port, rejects when it is taken. */
async function listensOn(port: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return bound;
}

/**
 * The service's environment for a side-by-side measurement on `url` (ab.ts, layers.ts): the bench's pool, and one key
 * sending every request, so its rate and its line (KEY_QUEUE_MS) must be long enough that nothing is refused (as in
 * cpu.ts).
 */
export const serviceEnv = (url: string) => ({
  DATABASE_URL: url,
  DATABASE_POOL_SIZE: "16",
  RATE_LIMIT_PER_MINUTE: "100000000",
  KEY_QUEUE_MS: "60000",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
});

const PROBE = fileURLToPath(new URL("probe.mjs", import.meta.url));

/**
 * Starts a script on a free port, with probe.mjs loaded (unless `probe: false`: idle memory is measured without
 * it), and waits until GET <ready> answers 2xx. Its output goes nowhere (as to a file).
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  ready: string,
  nodeFlags: string[] = [],
  { probe = true } = {},
): Promise<Running> {
  const port = await freePort();
  const flags = script.endsWith(".ts") ? ["--conditions=@memory-mirror/source", "--import", "tsx"] : [];
  const probing = probe ? ["--import", PROBE] : [];
  const child = spawn(process.execPath, [...nodeFlags, ...probing, ...flags, script], {
    env: { ...process.env, NODE_OPTIONS: "", PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    if (
      await fetch(url + ready).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${script} did not answer ${ready} within 120 s`);
}

export async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null) return;
  running.child.kill("SIGTERM");
  await new Promise((r) => running.child.once("exit", r));
}

/** Resident memory of a process in MB (Linux /proc). */
async function ownRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}

/** The process's descendants (a server with WORKERS > 1 is a tree), from the parent pids in /proc. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The fields after the parenthesised command name: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** CPU time (user + system) in ms a process and its descendants used so far, from /proc (10 ms ticks). */
export async function treeCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  let ticks = 0;
  for (const each of [pid, ...(await descendants(pid))]) {
    const stat = await readFile(`/proc/${each}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks * 10;
}

/** Resident memory in MB of a process, or of it and its descendants (`tree`). */
export async function rssMb(pid: number | undefined, { tree = false } = {}): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const pids = tree ? [pid, ...(await descendants(pid))] : [pid];
  const each = await Promise.all(pids.map(ownRssMb));
  return each.reduce((a, b) => a + b, 0);
}

/** What probe.mjs saw in a server since its last read. */
export interface ProbeWindow {
  elapsedMs: number;
  cpuMs: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number };
}

/** Reads (and restarts) the server's probe window. */
export async function readProbe({ child }: Running): Promise<ProbeWindow> {
  const answer = new Promise<ProbeWindow>((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message === "object" && message !== null && "probe" in message) {
        child.off("message", onMessage);
        resolve(message.probe as ProbeWindow);
      }
    };
    child.on("message", onMessage);
  });
  child.send("probe:read");
  return answer;
}

export interface ProbeMemory {
  rss: number;
  heapUsed: number;
  external: number;
  /** Whether a full collection ran first (the server was started with --expose-gc). */
  collected: boolean;
}

/** The server's memory, in bytes, after a full collection when it allows one. */
export async function readMemory({ child }: Running): Promise<ProbeMemory> {
  const answer = new Promise<ProbeMemory>((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message === "object" && message !== null && "memory" in message) {
        child.off("message", onMessage);
        resolve(message.memory as ProbeMemory);
      }
    };
    child.on("message", onMessage);
  });
  child.send("probe:memory");
  return answer;
}

export interface ProbeHeap {
  /** V8's heap spaces by name: bytes in use and committed (resident). */
  spaces: Record<string, { used: number; committed: number }>;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The server's memory and V8's heap spaces as they are (no collection first), in bytes. */
export async function readHeap({ child }: Running): Promise<ProbeHeap> {
  const answer = new Promise<ProbeHeap>((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message === "object" && message !== null && "heap" in message) {
        child.off("message", onMessage);
        resolve(message.heap as ProbeHeap);
      }
    };
    child.on("message", onMessage);
  });
  child.send("probe:heap");
  return answer;
}

/** The PostgreSQL pool's queries waiting for a connection, from the server's /metrics (null when it has none). */
async function poolWaiting(url: string): Promise<number | null> {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  const match = /^mm_db_pool_connections\{state="waiting"\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : null;
}

export interface Samples {
  peakRssMb: number;
  /** Pool waits sampled once a second (Memory Mirror's server only): the largest and the mean. */
  poolWaiting: { max: number; mean: number } | null;
}

/**
 * Samples a server's RSS (of its whole process tree with `tree`) every 250 ms, and its pool's waiting count once a
 * second from /metrics if `withPool` (rendering every metric costs the server CPU, which would be in the figures).
 */
export async function sample<T>(
  server: Running,
  during: Promise<T>,
  { withPool = false, tree = false } = {},
): Promise<{ result: T; samples: Samples }> {
  const pid = server.child.pid;
  let peak = await rssMb(pid, { tree });
  const waits: number[] = [];
  let ticks = 0;
  const timer = setInterval(() => {
    void rssMb(pid, { tree }).then((mb) => (peak = Math.max(peak, mb)));
    if (withPool && ++ticks % 4 === 0) void poolWaiting(server.url).then((n) => n !== null && waits.push(n));
  }, 250);
  try {
    const result = await during;
    peak = Math.max(peak, await rssMb(pid, { tree }));
    const poolStats = waits.length
      ? { max: Math.max(...waits), mean: waits.reduce((a, b) => a + b, 0) / waits.length }
      : null;
    return { result, samples: { peakRssMb: peak, poolWaiting: poolStats } };
  } finally {
    clearInterval(timer);
  }
}
