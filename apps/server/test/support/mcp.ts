/** The MCP SDK's real client, connected to a test server's /mcp over Streamable HTTP. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** `headers` go with every request (a key, a space); the caller closes the client. */
export async function connectMcp(serverUrl: string, headers?: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "memory-mirror-test", version: "1.0.0" });
  const requestInit = headers ? { requestInit: { headers } } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", serverUrl), requestInit));
  return client;
}
