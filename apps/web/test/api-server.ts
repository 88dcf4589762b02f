/**
 * For the component tests: one real server (in-memory embedded database, authentication off) for the whole run; its
 * URL is handed to the tests as `inject("apiUrl")`. Components talk to it through the app's own tRPC client. A child
 * process: vitest's global setup cannot load the server's modules (they use import.meta.resolve).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
  }
}

const main = fileURLToPath(new URL("../../server/src/main.ts", import.meta.url));

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

export default async function setup(project: TestProject) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(
    process.execPath,
    ["--conditions=@memory-mirror/source", "--import", "tsx", main],
    {
      env: {
        ...process.env,
        DATABASE_URL: "memory:",
        PORT: String(port),
        HOST: "127.0.0.1",
        AUTH: "off",
        LOG_LEVEL: "warn",
        // The components' page origin (vitest.config.ts): the server refuses other origins' browser requests.
        CORS_ORIGINS: "http://localhost:3000",
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const started = Date.now();
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the API server for component tests exited (${server.exitCode})`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > 60_000) throw new Error("the API server for component tests did not start in 60 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  project.provide("apiUrl", url);
  return async () => {
    server.kill("SIGTERM");
    if (server.exitCode === null) await once(server, "exit");
  };
}
