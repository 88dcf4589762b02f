/** Child processes for the benchmark: servers on free ports, their memory, and stopping them. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";

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

/** Starts a script on a free port and waits until GET <probe> answers 2xx. Its output goes nowhere (as to a file). */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  probe: string,
  nodeFlags: string[] = [],
): Promise<Running> {
  const port = await freePort();
  const flags = script.endsWith(".ts") ? ["--conditions=@memory-mirror/source", "--import", "tsx"] : [];
  const child = spawn(process.execPath, [...nodeFlags, ...flags, script], {
    env: { ...process.env, NODE_OPTIONS: "", PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    if (
      await fetch(url + probe).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${script} did not answer ${probe} within 120 s`);
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

/** Samples a process's RSS while `during` runs; resolves to the peak in MB. */
export async function peakRss<T>(pid: number | undefined, during: Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = await rssMb(pid);
  const timer = setInterval(() => void rssMb(pid).then((mb) => (peak = Math.max(peak, mb))), 200);
  try {
    return { result: await during, peakMb: Math.max(peak, await rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}
