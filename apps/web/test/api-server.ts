/**
 * For the component tests: one real server (in-memory embedded database, authentication off) for the whole run; its
 * URL is handed to the tests as `inject("apiUrl")`. Components talk to it through the app's own tRPC client. A child
 * process: vitest's global setup cannot load the server's modules (they use import.meta.resolve). A server that does
 * not get ready (it exits, or the time runs out) is stopped before the setup fails, so no process outlives the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
  }
}

const main = fileURLToPath(new URL("../../server/src/main.ts", import.meta.url));
/**
 * How long the server may take to answer /readyz: the embedded database's initdb takes seconds, and far more while the
 * whole suite runs every package at once (60 s ran out once at a load average of 19 on 2 cores).
 */
const READY_TIMEOUT_MS = 120_000;
/** How long a stopped server may take to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** How much of the server's stderr a failure quotes. */
const STDERR_TAIL_CHARS = 2_000;

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

/** The server did not get ready; it has been stopped (`pid` no longer runs). */
export class ApiServerStartError extends Error {
  constructor(
    message: string,
    readonly pid: number | undefined,
  ) {
    super(message);
    this.name = "ApiServerStartError";
  }
}

/** Stops the process: SIGTERM, then SIGKILL if it has not exited within the grace. */
async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, "exit");
  server.kill("SIGTERM");
  const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (!inTime) {
    server.kill("SIGKILL");
    await exited;
  }
}

export interface ApiServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts the server and waits until /readyz answers; on any failure stops it and throws ApiServerStartError. */
export async function startApiServer({
  readyTimeoutMs = READY_TIMEOUT_MS,
  env = {},
}: { readyTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<ApiServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ["--conditions=@memory-mirror/source", "--import", "tsx", main], {
    env: {
      ...process.env,
      DATABASE_URL: "memory:",
      PORT: String(port),
      HOST: "127.0.0.1",
      AUTH: "off",
      LOG_LEVEL: "warn",
      // The components' page origin (vitest.config.ts): the server refuses other origins' browser requests.
      CORS_ORIGINS: "http://localhost:3000",
      ...env,
    },
    stdio: ["ignore", "inherit", "pipe"],
  });
  // Passed on as it comes, and its end kept for the error if the server never gets ready.
  let stderrTail = "";
  server.stderr?.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
  });
  const exited = once(server, "exit");
  const fail = async (why: string) => {
    await stop(server);
    const said = stderrTail.trim() ? `; its stderr ended with:\n${stderrTail.trim()}` : "";
    return new ApiServerStartError(`The API server for component tests (${main}) ${why}${said}`, server.pid);
  };
  try {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw await fail(`exited (${server.exitCode ?? server.signalCode}) before answering ${url}/readyz`);
      }
      const ready = await fetch(`${url}/readyz`).then(
        (response) => response.ok,
        () => false, // Not listening yet.
      );
      if (ready) break;
      if (Date.now() >= deadline) {
        throw await fail(`did not answer ${url}/readyz within ${readyTimeoutMs} ms, and was stopped`);
      }
      await Promise.race([sleep(100), exited]);
    }
  } catch (error) {
    if (error instanceof ApiServerStartError) throw error;
    // Anything unforeseen (a spawn error): the process goes too.
    throw await fail(`could not be started: ${(error as Error).message}`);
  }
  return { url, stop: () => stop(server) };
}

export default async function setup(project: TestProject) {
  const server = await startApiServer();
  project.provide("apiUrl", server.url);
  return () => server.stop();
}
