/**
 * The documentation's examples, run in the order shown against a fresh server per page (embedded database, as on a
 * newcomer's machine), with their output compared to the documented one. Conventions: docs/development.md,
 * "Documentation examples".
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { docExamples, keepShownHeaders, mask, matchesDocumented } from "./support/doc-examples.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../..", import.meta.url));
const pages = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
/** The address every example is written against; each page's own server stands in for it. */
const DOCUMENTED_URL = "http://127.0.0.1:3000";
const tsx = import.meta.resolve("tsx");
/** Snippets run from here: inside apps/cli's node_modules, so `@memory-mirror/client` resolves as in apps/cli. */
const snippetDir = path.join(root, "apps/cli/node_modules/.cache/doc-examples");

/** `pnpm -s mm …` as the documentation writes it, without needing a build; any other pnpm command is refused. */
const shellPrelude = `
pnpm() {
  if [ "$1" = -s ] && [ "$2" = mm ]; then shift 2; node --import ${JSON.stringify(tsx)} ${JSON.stringify(path.join(root, "apps/cli/bin/mm.js"))} "$@"
  else echo "the documentation harness runs only 'pnpm -s mm …' (got: pnpm $*)" >&2; return 127; fi
}
`;

async function output(promise: Promise<{ stdout: string; stderr: string }>): Promise<string> {
  try {
    return (await promise).stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    // A command that exits non-zero (mm's exit 3 for "not found") still printed what the page shows.
    if (failed.stdout !== undefined && typeof failed.code === "number") return failed.stdout + (failed.stderr ?? "");
    throw error;
  }
}

function expectDocumented(actual: string, expected: string): void {
  // On a mismatch, compare the masked texts so the failure shows a readable diff.
  if (!matchesDocumented(actual, expected)) expect(mask(actual)).toBe(mask(expected));
}

/** A `$ command &` of a page: running until its `$ wait`. */
interface Background {
  child: ChildProcess;
  /** stdout and stderr as they came, as a terminal shows them. */
  output: string;
  /** How much of `output` the page showed under the command itself; the rest is shown under `$ wait`. */
  shown: number;
  exited: Promise<unknown>;
}

/**
 * How long a background command may take to print what the page shows under it, or to end after `$ wait`: under the
 * test's own timeout, so that a stuck one fails with what it printed.
 */
const BACKGROUND_MS = 20_000;

/**
 * Starts `command` in the background and resolves once it has printed what the page shows under it (a stream's first
 * events, "watching for changes"…), so the examples after it run against a command that is ready.
 */
async function startBackground(command: string, expected: string, cwd: string, env: NodeJS.ProcessEnv) {
  // Its own process group, so that stopping it stops what bash started too.
  const child = spawn("bash", ["-c", shellPrelude + command], { cwd, env, detached: true, stdio: "pipe" });
  const started: Background = { child, output: "", shown: 0, exited: once(child, "exit") };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`in ${BACKGROUND_MS / 1000} s, the background command printed only:\n${started.output}`));
    }, BACKGROUND_MS);
    const check = () => {
      if (!matchesDocumented(started.output, expected)) return;
      clearTimeout(timer);
      started.shown = started.output.length;
      resolve();
    };
    for (const stream of [child.stdout, child.stderr])
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        started.output += chunk;
        check();
      });
    void started.exited.then(() => {
      check();
      clearTimeout(timer);
      reject(new Error(`the background command exited, having printed:\n${started.output}`));
    });
    check();
  });
  return started;
}

/** `$ wait`: waits for the page's background commands to end; resolves with what they printed since they were shown. */
async function waitForBackground(running: Background[]): Promise<string> {
  const ended = Promise.all(running.map((b) => b.exited));
  const timeout = new Promise((_, reject) =>
    setTimeout(
      () => reject(new Error(`background commands still running after ${BACKGROUND_MS / 1000} s`)),
      BACKGROUND_MS,
    ).unref(),
  );
  await Promise.race([ended, timeout]);
  const later = running.map((b) => b.output.slice(b.shown)).join("");
  running.length = 0;
  return later;
}

const stopBackground = (running: Background[]) => {
  for (const { child } of running.splice(0))
    if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGTERM");
};

for (const page of pages) {
  const examples = docExamples(readFileSync(path.join(root, page), "utf8"));
  if (examples.length === 0) continue;

  describe(page, () => {
    let server: TestServer;
    let cwd: string;
    const background: Background[] = [];
    beforeAll(async () => {
      server = await startTestServer("embedded");
      cwd = await mkdtemp(path.join(tmpdir(), "mm-doc-"));
      await mkdir(snippetDir, { recursive: true });
      // ES modules, as in apps/cli (top-level await).
      await writeFile(path.join(snippetDir, "package.json"), '{ "type": "module" }\n');
    });
    afterAll(async () => {
      stopBackground(background);
      await server?.close();
      if (cwd) await rm(cwd, { recursive: true, force: true });
    });

    for (const example of examples) {
      const title = `${page}:${example.line} ${example.kind === "sh" ? example.command.split("\n")[0]!.slice(0, 80) : "TypeScript"}`;
      // Each example relies on the ones before it on the same page, as a reader running them in order does.
      it(title, async () => {
        const env = { ...process.env, MM_URL: server.url, NO_COLOR: "1" };
        if (example.kind === "sh") {
          const command = example.command.replaceAll(DOCUMENTED_URL, server.url);
          if (/\s&\s*$/.test(command)) {
            background.push(await startBackground(command.replace(/&\s*$/, ""), example.expected, cwd, env));
            return;
          }
          if (command.trim() === "wait") {
            expectDocumented(await waitForBackground(background), example.expected);
            return;
          }
          const stdout = await output(run("bash", ["-c", shellPrelude + command], { cwd, env, timeout: 60_000 }));
          expectDocumented(keepShownHeaders(stdout, example.expected), example.expected);
        } else {
          const file = path.join(snippetDir, `${page.replace(/\W/g, "_")}_${example.line}.ts`);
          await writeFile(file, example.source.replaceAll(DOCUMENTED_URL, server.url));
          try {
            // A snippet must run to its end: a failure is not something the documentation shows.
            const { stdout } = await run(process.execPath, ["--import", tsx, file], { cwd, env, timeout: 60_000 });
            if (example.expected !== undefined) expectDocumented(stdout, example.expected);
          } finally {
            await rm(file, { force: true });
          }
        }
      });
    }
  });
}

describe("links between the documentation's pages", () => {
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- ]/gu, "")
      .replaceAll(" ", "-");
  for (const page of pages) {
    it(`${page}: every relative link and anchor exists`, () => {
      const text = readFileSync(path.join(root, page), "utf8");
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split("#") as [string, string | undefined];
        const resolved = file === "" ? path.join(root, page) : path.join(root, path.dirname(page), file);
        if (!existsSync(resolved)) broken.push(target!);
        else if (anchor !== undefined) {
          const headings = [...readFileSync(resolved, "utf8").matchAll(/^#+ (.*)$/gm)].map(([, h]) => slug(h!));
          if (!headings.includes(anchor)) broken.push(target!);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});

describe("the documentation harness", () => {
  it("reads `$ ` commands with their indented continuation lines and the output up to the next `$ `", () => {
    const page = "```sh\n$ echo a \\\n    b\na b\n\n$ true\n```\n\n```ts\nconsole.log(1);\n```\n\n```text\n1\n```\n";
    expect(docExamples(page)).toEqual([
      { kind: "sh", line: 2, command: "echo a \\\n    b", expected: "a b" },
      { kind: "sh", line: 6, command: "true", expected: "" },
      { kind: "ts", line: 9, source: "console.log(1);", expected: "1" },
    ]);
    expect(docExamples("```ts fragment\nanalyses;\n```\n```sh\nmm ls\n```\n")).toEqual([]);
  });

  it("masks ids and times, lets … stand for any text, and fails on anything else", () => {
    const actual = '{"id":"343000d7-4c6b-49bc-9f12-670ac9bc7197","at":"2026-12-06T03:00:00.000Z","n":1}\nmore\nlines';
    expect(matchesDocumented(actual, '{"id":"597c5b02-8d42-4a43-933b-28b899f851c1",…,"n":1}\n…')).toBe(true);
    expect(matchesDocumented(actual, '{"id":"597c5b02-8d42-4a43-933b-28b899f851c1",…,"n":2}\n…')).toBe(false);
    expect(matchesDocumented(actual, '{"id":"597c5b02-8d42-4a43-933b-28b899f851c1",…,"n":1}')).toBe(false);
  });

  it("runs `$ command &` in the background until it printed what is shown, and `$ wait` shows the rest", async () => {
    const running: Background[] = [];
    const env = { ...process.env };
    running.push(await startBackground("echo ready; sleep 0.3; echo later >&2", "ready", tmpdir(), env));
    expect(running[0]!.output.trim()).toBe("ready");
    expect(await waitForBackground(running)).toBe("later\n");
    expect(running).toEqual([]);
  });

  it("keeps the status line and the headers the page shows of `curl -i`", () => {
    const actual = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\netag: "1.x"\r\n\r\n{"a":1}';
    expect(keepShownHeaders(actual, 'HTTP/1.1 200 OK\netag: "1.x"\n{"a":1}')).toBe(
      'HTTP/1.1 200 OK\netag: "1.x"\n{"a":1}',
    );
  });
});
