import { createPublicKey, type KeyObject } from "node:crypto";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { identityOptions, vaultClientOptions } from "../common/azureSdk";
import type { AssertionAlgorithm, DigestSigner } from "./assertion";
import { InputError } from "./errors";
import type { KeyVaultKeyId } from "./keyVaultKeyId";
import { classifyVaultFailure, VaultCallError } from "./vaultFailure";

/** A vault key's public part and attributes, and a signer that uses it in place. */
export interface VaultKey {
  id: KeyVaultKeyId;
  /** `RSA` or `RSA-HSM` for a certificate's key. */
  kty: string;
  /** The RSA public key, or undefined when the vault's answer holds none (not an RSA key). */
  publicKey?: KeyObject;
  /** The operations the key permits (`key_ops`), when the vault lists them. */
  keyOps?: string[];
  enabled?: boolean;
  notBefore?: Date;
  expiresOn?: Date;
  sign: DigestSigner;
}

/**
 * Gets the key's public part (`KeyClient.getKey`) and makes a signer for it
 * (`CryptographyClient.sign`, remote: Key Vault never lets the private part
 * out). The SDK is loaded here, not at start, so that --help and local-key
 * runs never load it. Its clients retry nothing (`maxRetries` 0): verify's
 * loop retries what is transient, within its deadline. Throws VaultCallError
 * with the failure classified (vaultFailure.ts).
 */
export async function openVaultKey(
  keyId: KeyVaultKeyId,
  credential: TokenCredential,
  options: { ca?: string; timeoutMs: number },
): Promise<VaultKey> {
  const { CryptographyClient, KeyClient } = await import("@azure/keyvault-keys");
  const clientOptions = vaultClientOptions(keyId.vaultUrl, { ca: options.ca, maxRetries: 0 });
  const key = await new KeyClient(keyId.vaultUrl, credential, clientOptions)
    .getKey(keyId.name, { version: keyId.version, abortSignal: AbortSignal.timeout(options.timeoutMs) })
    .catch((err: unknown) => {
      throw new VaultCallError(classifyVaultFailure(err, keyId.id, "read"));
    });
  // The signer is made for the id verify was given and checked (a Key Vault host or loopback), not for the `kid`
  // the vault answered with: the SDK sends each sign call, and the identity's token, to the host of the key's id
  // (keyvault-keys `cryptography/remoteCryptographyProvider.ts`, parseKeyVaultKeyIdentifier(key.id)).
  const crypto = new CryptographyClient({ ...key, id: keyId.id }, credential, clientOptions);
  const sign: DigestSigner = async (algorithm: AssertionAlgorithm, digest: Uint8Array) => {
    try {
      const signed = await crypto.sign(algorithm, digest, { abortSignal: AbortSignal.timeout(options.timeoutMs) });
      return signed.result;
    } catch (err) {
      throw new VaultCallError(classifyVaultFailure(err, keyId.id, "sign"));
    }
  };
  const jwk = key.key;
  return {
    id: keyId,
    kty: String(jwk?.kty ?? "unknown"),
    publicKey: rsaPublicKey(jwk?.n, jwk?.e),
    keyOps: key.keyOperations,
    enabled: key.properties.enabled,
    notBefore: key.properties.notBefore,
    expiresOn: key.properties.expiresOn,
    sign,
  };
}

function rsaPublicKey(n: Uint8Array | undefined, e: Uint8Array | undefined): KeyObject | undefined {
  if (!n || !e) return undefined;
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
  try {
    return createPublicKey({ key: { kty: "RSA", n: b64(n), e: b64(e) }, format: "jwk" });
  } catch {
    return undefined;
  }
}

/**
 * The identity verify reaches Key Vault as, when the caller injects none:
 * `@azure/identity`'s DefaultAzureCredential (in a pipeline, the job's
 * identity: the Azure CLI's login after azure/login or inside AzureCLI@2, or
 * a workload identity from AZURE_* variables; locally, az login), trusting
 * --ca-file and, for an authority that is not Microsoft's, without instance
 * discovery. AZURE_TOKEN_CREDENTIALS narrows the chain to one credential
 * (e.g. AzureCliCredential); DefaultAzureCredential throws at construction
 * on a value it does not know (Azure/azure-sdk-for-js
 * sdk/identity/identity/src/credentials/defaultAzureCredential.ts), which is
 * a bad input here, not an unexpected failure.
 */
export async function defaultVaultCredential(authorityHost: string, ca: string | undefined): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import("@azure/identity");
  try {
    return new DefaultAzureCredential(identityOptions(authorityHost, { ca }));
  } catch (err) {
    if (!process.env.AZURE_TOKEN_CREDENTIALS?.trim()) throw err;
    throw new InputError(
      "AZURE_TOKEN_CREDENTIALS must be dev, prod or one credential of DefaultAzureCredential (EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, AzureCliCredential, AzurePowerShellCredential, AzureDeveloperCliCredential, VisualStudioCodeCredential); in a pipeline: AzureCliCredential",
    );
  }
}

/** The credential, with every token it hands out remembered as a secret of the run (for scrubbing). */
export function recordingCredential(credential: TokenCredential, secrets: string[]): TokenCredential {
  return {
    getToken: async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> => {
      const token = await credential.getToken(scopes, options);
      if (token?.token) secrets.push(token.token);
      return token;
    },
  };
}
