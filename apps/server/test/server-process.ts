/** The real server as a child process (`node --import tsx src/main.ts`), for signals and crashes. */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface LogLine {
  msg?: string;
  time?: number;
  url?: string;
  [key: string]: unknown;
}

export interface ServerProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  /** Every JSON log line so far. */
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves with the first log line whose msg is `msg` (waits for it). */
  logged(msg: string): Promise<LogLine>;
}

/** Starts the server with `env` (PORT=0, LOG_LEVEL=info by default); resolves once it logged that it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
  const listening = await logged("Memory Mirror listening");
  return { child, url: String(listening.url), logs, stderr: () => stderr, exited, logged };
}
