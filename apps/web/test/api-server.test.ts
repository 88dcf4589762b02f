/**
 * Regression tests for the component tests' API server setup (api-server.ts), which left the server running when it
 * did not get ready in time. Now a start that fails (the time runs out, or the server exits) stops the process and
 * says why.
 */
import { describe, expect, it } from "vitest";
import { ApiServerStartError, startApiServer } from "./api-server.ts";

/** Whether a process with this id still runs (signal 0 checks without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the component tests' API server setup", () => {
  it("stops a server that did not get ready in time, and says so", async () => {
    // No time at all: the first probe runs before the new process can listen.
    const error = await startApiServer({ readyTimeoutMs: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiServerStartError);
    const { message, pid } = error as ApiServerStartError;
    expect(message).toMatch(/did not answer http:\/\/127\.0\.0\.1:\d+\/readyz within 0 ms, and was stopped/);
    expect(pid).toEqual(expect.any(Number));
    expect(running(pid!)).toBe(false);
  });

  it("reports a server that exited, with the end of what it said", async () => {
    const error = await startApiServer({ env: { AUTH: "maybe" } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiServerStartError);
    const { message, pid } = error as ApiServerStartError;
    expect(message).toMatch(/exited \(\d+\) before answering/);
    expect(message).toContain('AUTH must be "required" or "off"');
    expect(running(pid!)).toBe(false);
  });
});
