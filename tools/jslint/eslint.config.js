// ESLint for the browser scripts the gateway serves as they are: plain scripts (no modules,
// no bundler, no CDN), each wrapped in its own function, run in the browser. `make lint`
// passes this file as --config and the folders to check; the rules apply to every script
// it is given, wherever it is run from.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-unused-vars": ["error", { caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-implicit-globals": "error",
      "no-var": "error",
      "prefer-const": "error",
      // Text goes in with textContent, never as markup (the pages' CSP is the second line).
      "no-restricted-properties": [
        "error",
        ...["innerHTML", "outerHTML", "insertAdjacentHTML"].map((property) => ({
          property,
          message: "Use textContent or DOM methods.",
        })),
        { object: "document", property: "write", message: "Use DOM methods." },
      ],
    },
  },
  {
    // Apache ECharts, loaded by the reports page before this script (from charts/, no CDN).
    files: ["**/reports.js"],
    languageOptions: { globals: { echarts: "readonly" } },
  },
];
