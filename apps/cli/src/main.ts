import { KEY_SCOPES, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from "@memory-mirror/api/schemas";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import * as commands from "./commands.ts";
import { type CliError, ExitCode, explain } from "./errors.ts";
import { type CreateKeyOptions, createKey, listKeys, parseScopes, revokeKey } from "./keys.ts";
import { mcp } from "./mcp.ts";
import { addFilterOptions, metaPair, recordedAt, seconds, wholeNumber } from "./options.ts";
import { printMessage } from "./output.ts";
import { registerRetrievalCommands } from "./retrieval.ts";
import { registerTransferCommands } from "./transfer/commands.ts";
import { tagList, videoIdList, type WatchOptions, watch } from "./watch.ts";

const DEFAULT_URL = "http://127.0.0.1:3000";

function parseUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new InvalidArgumentError("expected an http(s) URL, e.g. http://127.0.0.1:3000");
  }
  return value;
}

const parseLimit = wholeNumber(1, LIST_LIMIT_MAX);

const program = new Command("mm")
  .description("Read and write the video descriptions stored in Memory Mirror.")
  .addOption(new Option("--url <url>", "server URL").env("MM_URL").default(DEFAULT_URL).argParser(parseUrl))
  .addOption(
    new Option("--timeout <seconds>", "give up when the server has not answered by then")
      .env("MM_TIMEOUT")
      .default(30)
      .argParser(seconds({ positive: true })),
  )
  .addOption(new Option("--api-key <key>", "API key (mm_…), when the server requires one").env("MM_API_KEY"))
  .addOption(new Option("--space <space>", "space to act in (servers without auth, admin keys)").env("MM_SPACE"))
  .option("--json", "print the result as JSON")
  .exitOverride()
  .showHelpAfterError("(run mm --help for usage)")
  .addHelpText(
    "after",
    `
Exit codes:
  0  success
  1  server or unexpected error
  2  usage error (bad arguments, or input the server rejected; import: some lines failed)
  3  not found (no analysis for that videoId)
  4  server unreachable or not answering (--timeout)
  5  not allowed: missing or invalid API key, or a key without the needed scope

Examples:
  mm put vid_123 "A cat jumps onto a table."
  mm put vid_123 "Leo swims." --recorded-at 2019-07-14T10:00:00+02:00 --meta place=Lisbon --meta year:=2019
  describe-video vid_123 | mm put vid_123 -
  mm get vid_123 --json
  mm ls --limit 10
  mm search "what did Leo build at the beach" --when "last summer"
  mm context "Mia's birthday" --max-chars 2000
  mm watch --tags family --json
  mm export -o backup.ndjson
  mm --url http://old:3000 export | mm --url http://new:3000 import -
  mm mcp
  MM_API_KEY=mm_… mm keys create --name producer --space alice --scope read,write`,
  );

/**
 * The typed client for a command; key management passes `actInSpace: false` (keys are not inside a space), `mm watch`
 * `stream: true` (a stream is meant to stay open: the client's own inactivity timeout watches it instead).
 */
function client(command: Command, { actInSpace = true, stream = false } = {}) {
  const { url, timeout, apiKey, space } = globals(command);
  // A server that accepts the connection but never answers must not hang a shell script.
  const fetchWithTimeout: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeout * 1000) });
  // One command, one call at a time: batching would only add a POST wrapper.
  return createMemoryMirrorClient({
    url,
    batch: false,
    ...(stream ? {} : { fetch: fetchWithTimeout }),
    ...(apiKey ? { apiKey } : {}),
    ...(space && actInSpace ? { space } : {}),
  });
}

function globals(command: Command): commands.GlobalOptions {
  return command.optsWithGlobals<commands.GlobalOptions>();
}

program
  .command("put")
  .description("create the analysis of a video, or replace its description")
  .argument("<videoId>")
  .argument("<description>", 'the description, or "-" to read it from stdin')
  .addOption(
    new Option("--recorded-at <iso>", "when the video was recorded, e.g. 2019-07-14T10:00:00+02:00").argParser(
      recordedAt,
    ),
  )
  .addOption(
    new Option(
      "--meta <key=value>",
      "metadata, repeatable: key=value (a string) or key:=json (year:=2019); replaces the stored metadata",
    ).argParser(metaPair),
  )
  .action((videoId: string, description: string, _opts: object, command: Command) =>
    commands.put(client(command), videoId, description, command.optsWithGlobals<commands.PutOptions>()),
  );

program
  .command("get")
  .description("print the description of a video (--json: the whole analysis)")
  .argument("<videoId>")
  .action((videoId: string, _opts: object, command: Command) =>
    commands.get(client(command), videoId, globals(command)),
  );

program
  .command("rm")
  .description("delete the analysis of a video")
  .argument("<videoId>")
  .action((videoId: string, _opts: object, command: Command) =>
    commands.rm(client(command), videoId, globals(command)),
  );

addFilterOptions(program.command("ls"))
  .description("list analyses, newest first: videoId, updatedAt, start of the description")
  .addOption(
    new Option("--limit <n>", `how many (1-${LIST_LIMIT_MAX}; per request with --all)`)
      .default(LIST_LIMIT_DEFAULT)
      .argParser(parseLimit),
  )
  .option("--all", "follow the pages until the last one")
  .option("--by-recorded", "order by recording time, oldest first (memories without one last)")
  .action((_opts: object, command: Command) =>
    commands.ls(client(command), command.optsWithGlobals<commands.ListOptions>()),
  );

registerRetrievalCommands(program, client);

program
  .command("watch")
  .description("print changes as they happen, one line each (--json: one object each); Ctrl-C stops")
  .addOption(
    new Option("--tags <tags>", "only analyses carrying all these tags (comma-separated, repeatable)").argParser(
      tagList,
    ),
  )
  .addOption(new Option("--video-id <videoId>", "only this video (repeatable)").argParser(videoIdList))
  .addOption(new Option("--limit <n>", "stop after n changes (exit 0)").argParser(wholeNumber(1, 1_000_000)))
  .action((_opts: object, command: Command) =>
    watch(client(command, { stream: true }), command.optsWithGlobals<WatchOptions>()),
  );

program
  .command("mcp")
  .description("serve the Memory Mirror tools to an LLM client (Model Context Protocol over stdio)")
  .action((_opts: object, command: Command) => mcp(client(command), globals(command)));

registerTransferCommands(program, client);

const keys = program.command("keys").description("manage API keys (needs an admin key)");

keys
  .command("create")
  .description('create a key and print it (shown once); --space names its space, "*" for an admin key')
  .requiredOption("--name <name>", "a name to recognise it by")
  .requiredOption("--scope <scopes>", `comma-separated: ${KEY_SCOPES.join(", ")}`, parseScopes)
  .option("--expires <iso>", "expiry date-time, e.g. 2027-01-01T00:00:00Z")
  .action((_opts: object, command: Command) =>
    createKey(client(command, { actInSpace: false }), command.optsWithGlobals<CreateKeyOptions>()),
  );

keys
  .command("ls")
  .description("list keys: name, prefix, space, scopes, created, last used, expires")
  .action((_opts: object, command: Command) => listKeys(client(command, { actInSpace: false }), globals(command)));

keys
  .command("revoke")
  .description("revoke a key by name or id (it stops working within seconds)")
  .argument("<key>", "the key's name or id")
  .action((key: string, _opts: object, command: Command) =>
    revokeKey(client(command, { actInSpace: false }), key, globals(command)),
  );

async function main(argv: string[]): Promise<ExitCode> {
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    // Commander has already printed its message (or the help); only the exit code is ours to choose.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    const { url, timeout } = program.opts<commands.GlobalOptions>();
    const failure: CliError = explain(error, url, timeout);
    printMessage(`mm: ${failure.message}`);
    return failure.exitCode;
  }
}

// `mm ls | head` closes stdout early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(ExitCode.ok);
  throw error;
});

// exitCode rather than exit(): pending stdout writes to a pipe would otherwise be cut off.
process.exitCode = await main(process.argv);
