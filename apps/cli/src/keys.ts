import { KEY_SCOPES, type KeyScope } from "@memory-mirror/api/schemas";
import type { MemoryMirrorClient } from "@memory-mirror/client";
import { InvalidArgumentError } from "commander";
import type { GlobalOptions } from "./commands.ts";
import { CliError, ExitCode } from "./errors.ts";
import { printJson, printLine, printMessage } from "./output.ts";

/** `--scope read,write`: known scopes only, each once. */
export function parseScopes(value: string): KeyScope[] {
  const scopes = value.split(",").map((s) => s.trim().toLowerCase());
  const unknown = scopes.filter((s) => !(KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${KEY_SCOPES.join(", ")}`);
  }
  return KEY_SCOPES.filter((s) => scopes.includes(s));
}

export interface CreateKeyOptions extends GlobalOptions {
  name: string;
  scope: KeyScope[];
  expires?: string;
}

/** Prints the new key alone on stdout (so `$(mm keys create …)` captures it) and what it is on stderr. */
export async function createKey(client: MemoryMirrorClient, opts: CreateKeyOptions) {
  if (!opts.space)
    throw new CliError('--space is required: the space the key acts in, or "*" for an admin key', ExitCode.usage);
  const created = await client.keys.create.mutate({
    name: opts.name,
    space: opts.space,
    scopes: opts.scope,
    expiresAt: opts.expires ?? null,
  });
  if (opts.json) return printJson(created);
  printLine(created.key);
  printMessage(
    `created key "${created.info.name}" for space ${created.info.space} (${created.info.scopes.join(", ")}); ` +
      "this is the only time it is shown: store it now",
  );
}

export async function listKeys(client: MemoryMirrorClient, opts: GlobalOptions) {
  const { items } = await client.keys.list.query();
  if (opts.json) return printJson({ items });
  for (const k of items) {
    printLine(
      [
        k.name,
        `${k.prefix}…`,
        k.space,
        k.scopes.join(","),
        k.createdAt,
        k.lastUsedAt ?? "never",
        k.expiresAt ?? "no expiry",
      ].join("\t"),
    );
  }
}

export async function revokeKey(client: MemoryMirrorClient, key: string, opts: GlobalOptions) {
  const revoked = await client.keys.revoke.mutate({ key });
  if (opts.json) printJson(revoked);
  else printLine(`revoked ${revoked.name}`);
}
