/** The real server as a child process (`node --import tsx src/main.ts`), for signals and crashes. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { READY } from "../src/cluster.ts";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface LogLine {
  msg?: string;
  time?: number;
  url?: string;
  [key: string]: unknown;
}

export interface ServerProcess {
  /** stdout and stderr are pipes, plus the IPC channel its readiness comes over. */
  child: ChildProcess & { stdout: Readable; stderr: Readable };
  url: string;
  /** Every JSON log line so far. */
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves with the first log line whose msg is `msg` (waits for it). */
  logged(msg: string): Promise<LogLine>;
}

/** A port nothing listens on now, so the server's address is known whatever its logs say. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, "close");
  return port;
}

/**
 * Starts the server with `env` (a free PORT and LOG_LEVEL=info unless given); resolves once the server says over its
 * IPC channel that it is ready (main.ts), which does not depend on LOG_LEVEL.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = env.PORT && env.PORT !== "0" ? env.PORT : String(await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...process.env, LOG_LEVEL: "info", ...env, PORT: port },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  }) as ServerProcess["child"];
  const logs: LogLine[] = [];
  let stdout = "";
  let stderr = "";
  const waiters: { msg: string; resolve: (line: LogLine) => void }[] = [];
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split("\n");
    stdout = lines.pop() ?? "";
    for (const text of lines) {
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      for (const waiter of waiters.filter((w) => w.msg === line.msg)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  const logged = (msg: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const line = logs.find((l) => l.msg === msg);
      if (line) return resolve(line);
      waiters.push({ msg, resolve });
      void exited.then((code) =>
        reject(new Error(`server exited (${code}) before logging "${msg}": ${stderr}${JSON.stringify(logs.at(-1))}`)),
      );
    });
  await new Promise<void>((resolve, reject) => {
    child.on("message", (message) => message === READY && resolve());
    void exited.then((code) => reject(new Error(`server exited (${code}) before it was ready: ${stderr}`)));
  });
  const host = env.HOST && !["0.0.0.0", "[::]"].includes(env.HOST) ? env.HOST : "127.0.0.1";
  return { child, url: `http://${host}:${port}`, logs, stderr: () => stderr, exited, logged };
}
