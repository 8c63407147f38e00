import { createPrivateKey } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type Checkpoint, loadCheckpoint } from "../../rehearsal/engine/checkpoint";
import { reveal, toPlain } from "../../rehearsal/engine/wire";

/** Every file a run left in a rehearsal folder, by path relative to it, read as latin1 (binary files too). */
export function filesOf(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(folder, path), readFileSync(path, "latin1"));
    }
  };
  walk(folder);
  return files;
}

/**
 * Forms of every key the local Key Vault keeps in the folder's `keyvault.json` (its own storage): a PEM line, and
 * pieces of the DER in base64 and hex and of the JWK's private d and p; five per certificate version.
 */
export function vaultKeyForms(folder: string): string[] {
  const state = JSON.parse(readFileSync(join(folder, "keyvault.json"), "utf8"));
  const versions = Object.values<{ versions: { privateKeyPem: string }[] }>(state.certificates).flatMap(
    (c) => c.versions,
  );
  return versions.flatMap(({ privateKeyPem }) => {
    const key = createPrivateKey(privateKeyPem);
    const der = key.export({ format: "der", type: "pkcs8" });
    const jwk = key.export({ format: "jwk" });
    return [
      privateKeyPem.split("\n")[3] ?? "",
      der.toString("base64").slice(40, 104),
      der.toString("hex").slice(80, 208),
      String(jwk.d).slice(10, 74),
      String(jwk.p).slice(10, 60),
    ];
  });
}

/** A stack's checkpoint in the folder, and every resource's inputs and outputs as JSON with its secrets decrypted. */
export function revealedCheckpoint(folder: string, stack: string): { checkpoint: Checkpoint; plain: string } {
  const checkpoint = loadCheckpoint(join(folder, "stacks", stack));
  const plain = JSON.stringify(
    checkpoint.resources.map((r) => [toPlain(reveal(r.inputs as never)), toPlain(reveal(r.outputs as never))]),
  );
  return { checkpoint, plain };
}
