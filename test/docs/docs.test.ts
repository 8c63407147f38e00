import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { flags as entraFlags } from "../../entra/command";
import { flags as keyVaultFlags } from "../../keyvault/command";
import { flags as rehearsalFlags } from "../../rehearsal/main";
import { flags as verifyFlags } from "../../verify/options";

const root = resolve(__dirname, "..", "..");
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(join(root, page), "utf8");
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);

/** GitHub's heading anchors: lower case, punctuation other than `-` and `_` dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const outsideFences = markdown.replace(/^```[\s\S]*?^```/gm, "");
  const headings = [...outsideFences.matchAll(/^#{1,6} (.*)$/gm)].map((m) => m[1] ?? "");
  return new Set(
    headings.map((h) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

/** Every link of a page to a file of this repository: `[text](path#anchor)`, outside code. */
function localLinks(page: string): { target: string; anchor?: string }[] {
  const prose = text(page)
    .replace(/^```[\s\S]*?^```/gm, "")
    .replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? "")
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [path = "", anchor] = href.split("#");
      return { target: path === "" ? page : relative(root, resolve(root, dirname(page), path)), anchor };
    });
}

/** The commands a page shows, one per line of its shell blocks and its inline code: `npm run x -- --flag …`. */
function commands(page: string): string[] {
  const blocks = [...text(page).matchAll(/^```(?:sh|bash)?\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");
  const inline = [...text(page).matchAll(/`([^`\n]*npm [^`\n]*)`/g)].map((m) => m[1] ?? "");
  return [...blocks.flatMap((b) => b.split("\n")), ...inline]
    .map((line) => line.replace(/\s#.*$/, "")) // a shell comment
    .filter((line) => /\bnpm (run|start|test)\b/.test(line));
}

/** A default as the README's table writes it: a string as it is (quoted when it looks like a number), else JSON. */
const asShown = (value: unknown) =>
  typeof value !== "string" ? JSON.stringify(value) : value === "" || /^\d/.test(value) ? `"${value}"` : value;

const cliFlags: Record<string, readonly string[]> = {
  start: Object.keys(rehearsalFlags),
  verify: [...Object.keys(verifyFlags), "json", "help"],
  entra: Object.keys(entraFlags),
  keyvault: Object.keys(keyVaultFlags),
};

describe("the README and docs/", () => {
  it("keep the README short enough to read in five minutes", () => {
    expect(text("README.md").split("\n").length).toBeLessThanOrEqual(170);
  });

  it("list every setting Pulumi.yaml declares in the README's table, with its default", () => {
    const declared = (parse(text("Pulumi.yaml")) as { config: Record<string, { default?: unknown }> }).config;
    const settings = text("README.md").split("## Settings")[1]?.split("\n## ")[0] ?? "";
    const rows = [...settings.matchAll(/^\| `(\w+)` +\| (`[^|]*`) +\|/gm)].map((m) => [m[1], m[2]] as const);
    expect(rows.map(([key]) => key).sort()).toEqual(Object.keys(declared).sort());
    for (const [key, shown] of rows) expect(shown, key).toBe(`\`${asShown(declared[key as string]?.default)}\``);
  });

  it.each(pages)("%s links only to files and headings that exist", (page) => {
    for (const { target, anchor } of localLinks(page)) {
      expect(existsSync(join(root, target)), `${page} links to ${target}`).toBe(true);
      if (anchor && target.endsWith(".md"))
        expect([...anchors(text(target))], `${page} links to ${target}#${anchor}`).toContain(anchor);
    }
  });

  it("link every page of docs/ from the README", () => {
    const linked = new Set(localLinks("README.md").map((l) => l.target));
    for (const page of pages.filter((p) => p !== "README.md")) expect([...linked], page).toContain(page);
  });

  it("show the Key Vault client example as examples/vault-client/client.mts holds it (type-checked and run by the tests)", () => {
    const section = text("docs/key-vault.md").split("## A client that signs with the vault-held key")[1] ?? "";
    const shown = /^```ts\n([\s\S]*?)^```/m.exec(section)?.[1];
    expect(shown).toBe(text("examples/vault-client/client.mts"));
  });

  it.each(pages)("%s runs only npm scripts that exist, with flags their command takes", (page) => {
    for (const line of commands(page)) {
      for (const m of line.matchAll(/\bnpm (?:run(?: --silent| -s)? ([a-z][\w:-]*)|(start)|(test))\b/g)) {
        const script = m[1] ?? m[2] ?? m[3] ?? "";
        expect(scripts, `${page}: ${line}`).toContain(script);
        const cli = cliFlags[script];
        const rest = line.slice((m.index ?? 0) + m[0].length);
        if (!cli || !rest.startsWith(" --")) continue;
        const command = rest.split(/[|;&]/)[0] ?? "";
        const given = [...command.matchAll(/(?:^|\s)--([a-z][\w-]*)/g)].map((f) => f[1] ?? "");
        for (const flag of given) expect(cli, `${page}: ${line}`).toContain(flag);
      }
    }
  });
});
