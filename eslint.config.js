// One lint toolchain for the repo: ESLint with typescript-eslint's type-aware rules (they see through Prisma's and
// tRPC's types, which is what catches a floating or misused promise from a library call) and Prettier for format.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/generated/**", "**/node_modules/**", "**/test-artifacts/**", "**/coverage/**"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      // One program for the whole repository (tsconfig.json): per-package programs re-read every imported package.
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_` marks what a destructuring or a callback must name but does not use.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      // Type-only imports stay visibly type-only (the client must never pull server code at run time).
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // The server's code formats nothing through Intl: the first formatter maps ~5 MB of node's ICU data and ~3 MB of
  // ICU's state into the process for its whole life (docs/performance.md, "Peak memory under load: what it is made of").
  // MCP's tools run in the server's process too. A later block setting either rule for these files would replace
  // these options, not add to them.
  {
    files: ["packages/api/src/**", "packages/db/src/**", "packages/mcp/src/**", "apps/server/src/**"],
    rules: {
      "no-restricted-globals": ["error", { name: "Intl", message: "Intl keeps ~8 MB resident in the server." }],
      "no-restricted-syntax": [
        "error",
        {
          // Called, passed on or reached through .call: any use of the method names it.
          selector: "MemberExpression[property.name=/^(toLocale\\w*|localeCompare)$/]",
          message: "Locale formatting (Intl) keeps ~8 MB resident in the server: format by hand.",
        },
        {
          selector: "MemberExpression[object.name=/^(globalThis|global)$/][property.name='Intl']",
          message: "Intl keeps ~8 MB resident in the server.",
        },
      ],
    },
  },
  // The web app runs in browsers.
  { files: ["apps/web/src/**"], languageOptions: { globals: globals.browser } },
  // Plain JavaScript (launchers, CI scripts) has no types to check against.
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
