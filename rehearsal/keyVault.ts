import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import type { LocalEntra } from "../entra/server";
import { type LocalKeyVault, start } from "../keyvault/server";
import { FolderError } from "./errors";
import { type LocalIdentity, localIdentity, tokenFor } from "./identities";
import { graphClient } from "./providers/graph";
import { localVaultId } from "./providers/keyVault";

/** Key Vault's resource, as Entra ID knows it: tokens for the vault carry this audience. */
export const vaultResource = "https://vault.azure.net";

/** The local Key Vault of a rehearsal, and the identities that use it. */
export interface RehearsalVault {
  vault: LocalKeyVault;
  /** The ARM id the program is given as keyVaultId; the local azure provider maps it to the vault's URL. */
  keyVaultId: string;
  /** Manages certificates (Key Vault Certificates Officer), as the deployment's identity does in a real tenant. */
  deployer: LocalIdentity;
  /** Signs with the client's key (Key Vault Crypto User), as a pipeline's workload identity does. */
  pipeline: LocalIdentity;
  /** The local Entra ID's and the local Key Vault's CAs in one file, for verify's --ca-file. */
  caBundlePath: string;
  /** Secrets this module handles (identities' keys, the vault's admin key), for the redactor. */
  secrets: string[];
  /** The vault access the local azure provider needs. */
  access: { vaultUrl(id: string): string | undefined; agent: Agent; token(): Promise<string> };
  stop(): Promise<void>;
}

/**
 * Starts the local Key Vault for the rehearsal's folder and sets up what a real tenant has before the
 * first `pulumi up` in Key Vault mode: the Key Vault resource principal in the directory, a deployer
 * that holds Key Vault Certificates Officer on the vault, and a pipeline identity that holds Key Vault
 * Crypto User (sign). Idempotent across runs: identities and role assignments are kept in the folder.
 */
export async function startRehearsalVault(dir: string, entra: LocalEntra): Promise<RehearsalVault> {
  const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey);
  await ensureVaultPrincipal(graph);
  const vault = await startOnKeptPort(dir, entra);
  try {
    const caBundle = `${entra.caPem.trim()}\n${vault.caPem.trim()}\n`;
    const agent = new Agent({ ca: caBundle, keepAlive: true });
    const context = { authorityHost: entra.authorityHost, tenantId: entra.tenantId, caPem: caBundle };
    const deployer = await localIdentity(dir, "deployer", graph, context);
    const pipeline = await localIdentity(dir, "pipeline", graph, context);
    vault.assignRoles(deployer.objectId, ["Key Vault Certificates Officer"]);
    vault.assignRoles(pipeline.objectId, ["Key Vault Crypto User"]);
    const caBundlePath = join(dir, "ca-bundle.pem");
    writeFileSync(caBundlePath, caBundle);
    const keyVaultId = localVaultId(entra.tenantId);
    return {
      vault,
      keyVaultId,
      deployer,
      pipeline,
      caBundlePath,
      secrets: [deployer.secret, pipeline.secret, vault.adminKey],
      access: {
        vaultUrl: (id) => (id.toLowerCase() === keyVaultId.toLowerCase() ? vault.vaultUrl : undefined),
        agent,
        token: () => tokenFor(deployer, `${vaultResource}/.default`),
      },
      stop: async () => {
        agent.destroy();
        await vault.stop();
      },
    };
  } catch (err) {
    await vault.stop();
    throw err;
  }
}

/**
 * A vault's URL is part of every id the stack keeps (the certificate's id, keyVaultKeyId): a real vault keeps
 * its host name for life, so the local one keeps its port across runs of the same folder.
 */
async function startOnKeptPort(dir: string, entra: LocalEntra): Promise<LocalKeyVault> {
  const portFile = join(dir, "keyvault.port");
  const kept = existsSync(portFile) ? Number(readFileSync(portFile, "utf8").trim()) : 0;
  const port = Number.isInteger(kept) && kept > 0 && kept < 65536 ? kept : 0;
  let vault: LocalKeyVault;
  try {
    vault = await start({
      state: join(dir, "keyvault.json"),
      entra: { authorityHost: entra.authorityHost, tenantId: entra.tenantId, caPem: entra.caPem },
      port,
    });
  } catch (err) {
    if ((err as { code?: string }).code === "EADDRINUSE")
      throw new FolderError(
        "ERR_FOLDER_PORT",
        `the local Key Vault of ${dir} serves on port ${port}, which its stack's vault ids name, and that port is taken: free it, or start over with --fresh`,
      );
    throw err;
  }
  if (vault.port !== port) writeFileSync(portFile, `${vault.port}\n`);
  return vault;
}

/** Key Vault's first-party application, as every tenant has it: its service principal answers for the resource. */
async function ensureVaultPrincipal(graph: ReturnType<typeof graphClient>): Promise<void> {
  const apps = await graph("GET", "applications");
  const list =
    typeof apps === "object" && apps !== null && !Array.isArray(apps) && Array.isArray(apps.value) ? apps.value : [];
  const known = list.some(
    (a) =>
      typeof a === "object" &&
      a !== null &&
      !Array.isArray(a) &&
      Array.isArray(a.identifierUris) &&
      a.identifierUris.includes(vaultResource),
  );
  if (known) return;
  const app = await graph("POST", "applications", {
    displayName: "Azure Key Vault",
    identifierUris: [vaultResource],
    // Key Vault takes v1.0 tokens: aud is the resource URI.
    api: { requestedAccessTokenVersion: 1 },
  });
  const appId = typeof app === "object" && app !== null && !Array.isArray(app) ? app.appId : undefined;
  await graph("POST", "servicePrincipals", { appId: String(appId) });
}
