/** Child processes for the benchmark: servers on free ports, what they use while measured, and stopping them. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";

export interface Running {
  url: string;
  child: ChildProcess;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const PROBE = fileURLToPath(new URL("probe.mjs", import.meta.url));

/**
 * Starts a script on a free port, with probe.mjs loaded, and waits until GET <ready> answers 2xx. Its output goes
 * nowhere (as to a file).
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  ready: string,
  nodeFlags: string[] = [],
): Promise<Running> {
  const port = await freePort();
  const flags = script.endsWith(".ts") ? ["--conditions=@memory-mirror/source", "--import", "tsx"] : [];
  const child = spawn(process.execPath, [...nodeFlags, "--import", PROBE, ...flags, script], {
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
export async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
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
  /** Pool waits sampled every 250 ms (Memory Mirror's server only): the largest and the mean. */
  poolWaiting: { max: number; mean: number } | null;
}

/** Samples a server's RSS (and its pool's waiting count, if it has /metrics) while `during` runs. */
export async function sample<T>(
  server: Running,
  during: Promise<T>,
  withPool: boolean,
): Promise<{ result: T; samples: Samples }> {
  const pid = server.child.pid;
  let peak = await rssMb(pid);
  const waits: number[] = [];
  const timer = setInterval(() => {
    void rssMb(pid).then((mb) => (peak = Math.max(peak, mb)));
    if (withPool) void poolWaiting(server.url).then((n) => n !== null && waits.push(n));
  }, 250);
  try {
    const result = await during;
    peak = Math.max(peak, await rssMb(pid));
    const poolStats = waits.length
      ? { max: Math.max(...waits), mean: waits.reduce((a, b) => a + b, 0) / waits.length }
      : null;
    return { result, samples: { peakRssMb: peak, poolWaiting: poolStats } };
  } finally {
    clearInterval(timer);
  }
}
