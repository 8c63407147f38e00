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

/** How many forms `vaultKeyForms` gives of each key. */
export const formsPerKey = 11;

/**
 * Forms of every key the local Key Vault keeps in the folder's `keyvault.json` (its own storage), each from a
 * private part of the key, never from the modulus, which the certificate carries: a PEM line; 48 bytes of the private
 * exponent d raw (files are read as latin1), in base64 at all three byte alignments (inside a larger base64 blob, such
 * as a DER or PFX, it lands on any of them), in base64url and in hex of both cases; the same of the prime p, raw and
 * in base64; the JWK's d. `formsPerKey` per certificate version.
 */
export function vaultKeyForms(folder: string): string[] {
  const state = JSON.parse(readFileSync(join(folder, "keyvault.json"), "utf8"));
  const versions = Object.values<{ versions: { privateKeyPem: string }[] }>(state.certificates).flatMap(
    (c) => c.versions,
  );
  return versions.flatMap(({ privateKeyPem }) => {
    const jwk = createPrivateKey(privateKeyPem).export({ format: "jwk" });
    const d = Buffer.from(String(jwk.d), "base64url").subarray(16, 64);
    const p = Buffer.from(String(jwk.p), "base64url").subarray(16, 64);
    // Whole base64 groups only: the first (which would hold the padding bytes) and the partial last one are cut.
    const base64At = (bytes: Buffer, shift: number) =>
      Buffer.concat([Buffer.alloc(shift), bytes])
        .toString("base64")
        .slice(4, 64);
    const forms = [
      privateKeyPem.split("\n")[3] ?? "",
      d.toString("latin1"),
      ...[0, 1, 2].map((shift) => base64At(d, shift)),
      d.toString("base64url"),
      d.toString("hex"),
      d.toString("hex").toUpperCase(),
      p.toString("latin1"),
      base64At(p, 0),
      String(jwk.d).slice(10, 74),
    ];
    if (forms.length !== formsPerKey) throw new Error("vaultKeyForms: formsPerKey is out of date");
    return forms;
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
