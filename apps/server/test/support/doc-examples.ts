/**
 * Reads the examples out of the documentation (README.md, docs/*.md) and compares what they print with what the
 * documentation says they print. The conventions are in docs/development.md ("Documentation examples").
 */

/** A shell command from a ```sh block: `$ command` (continued on indented lines) and the output shown under it. */
export interface ShellExample {
  kind: "sh";
  line: number;
  command: string;
  expected: string;
}

/** A ```ts block, and the ```text block right after it (what it prints), if there is one. */
export interface ScriptExample {
  kind: "ts";
  line: number;
  source: string;
  expected: string | undefined;
}

export type DocExample = ShellExample | ScriptExample;

interface Block {
  info: string;
  body: string;
  line: number;
}

function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    found.push({ info: `${open[2]}${open[3]}`.trim(), body: body.join("\n"), line: i + 1 });
    i = j;
  }
  return found;
}

function shellExamples(block: Block): ShellExample[] {
  const examples: ShellExample[] = [];
  const lines = block.body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith("$ ")) continue;
    const command = [lines[i]!.slice(2)];
    const line = block.line + 1 + i;
    while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!)) command.push(lines[++i]!);
    const output: string[] = [];
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith("$ ")) output.push(lines[++i]!);
    examples.push({ kind: "sh", line, command: command.join("\n"), expected: output.join("\n").trimEnd() });
  }
  return examples;
}

/**
 * The runnable examples of one page, in the order shown: ```sh blocks holding `$ ` lines, and ```ts blocks (unless
 * marked ```ts fragment) with the ```text block that follows them.
 */
export function docExamples(markdown: string): DocExample[] {
  const all = blocks(markdown);
  const examples: DocExample[] = [];
  all.forEach((block, index) => {
    const [language, ...flags] = block.info.split(/\s+/);
    if (language === "sh" && /^\$ /m.test(block.body)) examples.push(...shellExamples(block));
    if ((language === "ts" || language === "typescript") && !flags.includes("fragment")) {
      const next = all[index + 1];
      const expected = next?.info === "text" ? next.body.trimEnd() : undefined;
      examples.push({ kind: "ts", line: block.line, source: block.body, expected });
    }
  });
  return examples;
}

const MASKS: [RegExp, string][] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>"],
  [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, "<time>"],
  [/\b\d{4}-\d{2}-\d{2}\b/g, "<date>"],
  [/\bmm_[A-Za-z0-9_-]{20,}/g, "<key>"],
];

/** Ids, times, dates and keys differ on every run: both sides are compared with them replaced. */
export function mask(text: string): string {
  let masked = text.replace(/\r\n/g, "\n");
  for (const [pattern, replacement] of MASKS) masked = masked.replace(pattern, replacement);
  return masked
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim();
}

/**
 * `curl -i` prints every header; the documentation shows the status line and the headers that matter. Keeps the
 * status line, the headers the expected output names, and the body (without the blank line before it).
 */
export function keepShownHeaders(actual: string, expected: string): string {
  if (!/^HTTP\/[\d.]+ \d{3}/.test(actual)) return actual;
  const normalized = actual.replace(/\r\n/g, "\n");
  const end = normalized.indexOf("\n\n");
  const head = (end === -1 ? normalized : normalized.slice(0, end)).split("\n");
  const body = end === -1 ? "" : normalized.slice(end + 2);
  const shown = new Set(
    expected
      .split("\n")
      .map((line) => /^([A-Za-z0-9-]+): /.exec(line)?.[1]?.toLowerCase())
      .filter((name): name is string => name !== undefined),
  );
  const kept = head.filter((line, index) => index === 0 || shown.has(line.split(":")[0]!.toLowerCase()));
  return [...kept, body].filter((part) => part !== "").join("\n");
}

/** Whether the actual output is what the documentation shows, `…` standing for any text (lines included). */
export function matchesDocumented(actual: string, expected: string): boolean {
  const pattern = mask(expected)
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*?");
  return new RegExp(`^${pattern}$`).test(mask(actual));
}
