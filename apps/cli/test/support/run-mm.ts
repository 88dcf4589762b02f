/** The real CLI in a child process, as a person or a script runs it: stdout and stderr are pipes, not a terminal. */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";

export const cliDir = fileURLToPath(new URL("../..", import.meta.url));
/** node's arguments that run the CLI from its sources through tsx, module by module (as `pnpm mm` resolves them). */
export const MM_FROM_SOURCES = ["--import", "tsx", "src/main.ts"];
/** node's arguments that run the CLI bundled from its sources (test/support/bundle-mm.ts): the default, cheaper. */
export const mmBundled = () => [inject("mmBundle")];

export interface MmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface MmOptions {
  /** MM_URL of the child. */
  url?: string;
  /** Written to its stdin, which is then closed (always: a command waiting on stdin fails instead of hanging). */
  input?: string;
  /** node's arguments before the CLI's own (default mmBundled()). */
  entry?: string[];
  env?: Record<string, string>;
  /** Called with everything on stderr so far, and a function that presses Ctrl-C once. */
  onStderr?: (stderr: string, interrupt: () => void) => void;
  /** Called with everything on stdout so far, and the same function (for commands that run until stopped). */
  onStdout?: (stdout: string, interrupt: () => void) => void;
}

export function runMm(args: string[], options: MmOptions = {}): Promise<MmResult> {
  const env = { ...process.env, ...(options.url ? { MM_URL: options.url } : {}), ...options.env };
  const child = spawn(process.execPath, [...(options.entry ?? mmBundled()), ...args], { cwd: cliDir, env });
  let stdout = "";
  let stderr = "";
  let interrupted = false;
  // One Ctrl-C, as a person presses it (a second one would kill the process outright, as it should).
  const interrupt = () => {
    if (!interrupted) child.kill("SIGINT");
    interrupted = true;
  };
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
    options.onStdout?.(stdout, interrupt);
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
    options.onStderr?.(stderr, interrupt);
  });
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
