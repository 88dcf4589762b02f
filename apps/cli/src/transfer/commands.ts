/** `mm export` and `mm import`: their options, added to the program by main.ts. */
import { BULK_MAX_ITEMS } from "@memory-mirror/api/schemas";
import type { MemoryMirrorClient } from "@memory-mirror/client";
import { type Command, Option } from "commander";
import { addFilterOptions, isoDateTime, seconds, wholeNumber } from "../options.ts";
import { type ExportOptions, exportAnalyses } from "./export.ts";
import { type ImportOptions, importAnalyses } from "./import.ts";

const parseTags = (value: string): string[] =>
  value
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

const progressEvery = () =>
  new Option("--progress-every <seconds>", "when stderr is no terminal: a progress line this often (0: none)")
    .default(10)
    .argParser(seconds({ positive: false }));

export function registerTransferCommands(program: Command, client: (command: Command) => MemoryMirrorClient): void {
  addFilterOptions(program.command("export"))
    .description("write every analysis of the space as NDJSON: tags, embedding vectors, versions, timestamps")
    .option("--tags <tags>", "only analyses carrying all of these (comma-separated)", parseTags)
    .option("--since <iso>", "only analyses changed (updatedAt) at or after this time", isoDateTime)
    .option("-o, --output <file>", "write to this file (atomically, at the end) instead of stdout")
    .addOption(progressEvery())
    .action((_opts: object, command: Command) =>
      exportAnalyses(client(command), command.optsWithGlobals<ExportOptions>()),
    );

  program
    .command("import")
    .description("store NDJSON analyses (as mm export writes them) through upsertMany; running it again is harmless")
    .argument("<file>", 'the NDJSON file, or "-" for stdin')
    .addOption(
      new Option("--batch <n>", `analyses per call (1-${BULK_MAX_ITEMS})`)
        .default(500)
        .argParser(wholeNumber(1, BULK_MAX_ITEMS)),
    )
    .addOption(
      new Option("--batch-bytes <n>", "most bytes per call (keep under the server's MAX_BODY_BYTES)")
        .default(1_000_000)
        .argParser(wholeNumber(1024, 1024 ** 3)),
    )
    .addOption(
      new Option("--parallel <n>", "calls in flight at once (--strict: 1)").default(4).argParser(wholeNumber(1, 16)),
    )
    .option("--strict", "stop at the first line that fails (default: report it, skip it, go on)")
    .option("--content-only", "ignore versions and timestamps: write the content as new versions (any write key)")
    .addOption(progressEvery())
    .action((file: string, _opts: object, command: Command) =>
      importAnalyses(client(command), file, command.optsWithGlobals<ImportOptions>()),
    );
}
