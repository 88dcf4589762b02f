import type { MemoryMirrorClient } from "@memory-mirror/client";
import { createMcpServer, memoryApiFromClient } from "@memory-mirror/mcp";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { GlobalOptions } from "./commands.ts";
import { explain } from "./errors.ts";
import { printMessage } from "./output.ts";

/**
 * Serves the Memory Mirror tools to a desktop LLM client over stdio, calling the server at --url like every other
 * command. stdout carries the protocol only: everything for people goes to stderr (the client's log).
 * Returns when the client closes stdin.
 */
export async function mcp(client: MemoryMirrorClient, opts: GlobalOptions): Promise<void> {
  // A call that got no answer reads as it would in a shell: "cannot reach Memory Mirror at … (is the server running?)".
  const api = memoryApiFromClient(client, {
    explainFailure: (error) => explain(error, opts.url, opts.timeout).message,
  });
  const server = createMcpServer(api, {
    onInternalError: (error, tool) =>
      printMessage(`mm mcp: ${tool} failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  const stdinClosed = new Promise<void>((resolve) => process.stdin.once("end", resolve).once("close", resolve));
  await server.connect(new StdioServerTransport());
  printMessage(`mm mcp: serving the Memory Mirror tools of ${opts.url} over stdio`);
  await stdinClosed;
  await server.close();
}
