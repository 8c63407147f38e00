import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, verify, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adminToken, createBody, vaultForFile, vaultRequest } from "../support/keyvault";

/**
 * What a PKCS#12 reader other than ours finds in a PFX: OpenSSL's `pkcs12 -info` names each bag it opens
 * ("Certificate bag", "Key bag", "Shrouded Keybag"). The PFX goes in on stdin, the dump stays in memory.
 */
function openPfx(pfx: Buffer): { bags: string[]; certificates: X509Certificate[]; keyPem?: string } {
  const run = spawnSync("openssl", ["pkcs12", "-info", "-nodes", "-passin", "pass:"], { input: pfx });
  if (run.status !== 0) throw new Error(`openssl pkcs12 could not open the PFX (exit ${run.status})`);
  const text = `${run.stdout.toString()}\n${run.stderr.toString()}`;
  const bags = [...text.matchAll(/^(Certificate bag|Key bag|Shrouded Keybag)$/gm)].map((m) => m[1] ?? "");
  const certificates = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(text)?.[0];
  return { bags, certificates, ...(keyPem ? { keyPem } : {}) };
}

describe("the local Key Vault's certificate secrets (/secrets/{name})", () => {
  const v = vaultForFile(async (t) => ({ token: await adminToken(t) }));

  const call = (method: "GET" | "POST" | "DELETE", path: string, json?: unknown) =>
    vaultRequest(v.t.vault, method, path, { token: v.token, json });
  const make = async (name: string, exportable: boolean, contentType?: string) => {
    const body = createBody({ exportable });
    if (contentType) (body.policy.secret_props as { contentType: string }).contentType = contentType;
    expect((await call("POST", `/certificates/${name}/create`, body)).status).toBe(202);
    const cert = (await call("GET", `/certificates/${name}`)).body;
    return {
      version: String(cert.id).split("/").at(-1) ?? "",
      certificate: new X509Certificate(Buffer.from(cert.cer, "base64")),
    };
  };

  it("holds only the certificate when the key is not exportable: the PFX has a certificate bag and no key bag", async () => {
    const { version, certificate } = await make("sealed-pfx", false);
    const secret = await call("GET", `/secrets/sealed-pfx/${version}`);
    expect(secret.status).toBe(200);
    expect(secret.body.contentType).toBe("application/x-pkcs12");
    const opened = openPfx(Buffer.from(secret.body.value, "base64"));
    expect(opened.bags).toEqual(["Certificate bag"]);
    expect(opened.keyPem).toBeUndefined();
    expect(opened.certificates.map((c) => c.fingerprint256)).toEqual([certificate.fingerprint256]);
  });

  it("holds only the certificate as PEM when the key is not exportable: no private key block", async () => {
    const { certificate } = await make("sealed-pem", false, "application/x-pem-file");
    const value: string = (await call("GET", "/secrets/sealed-pem")).body.value;
    expect(value).not.toMatch(/PRIVATE KEY/);
    expect(new X509Certificate(value).fingerprint256).toBe(certificate.fingerprint256);
  });

  it("holds the key matching the certificate when the key is exportable, as PFX and as PEM", async () => {
    const pfx = await make("open-pfx", true);
    const opened = openPfx(Buffer.from((await call("GET", `/secrets/open-pfx/${pfx.version}`)).body.value, "base64"));
    expect([...opened.bags].sort()).toEqual(["Certificate bag", "Key bag"]);
    expect(opened.certificates[0]?.fingerprint256).toBe(pfx.certificate.fingerprint256);
    expect(pfx.certificate.checkPrivateKey(createPrivateKey(opened.keyPem ?? ""))).toBe(true);

    const pem = await make("open-pem", true, "application/x-pem-file");
    const value: string = (await call("GET", "/secrets/open-pem")).body.value;
    const key = createPrivateKey(value);
    expect(pem.certificate.checkPrivateKey(key)).toBe(true);
    // The vault's key, not any key: its public part is the one the key endpoint publishes.
    const jwk = (await call("GET", `/keys/open-pem/${pem.version}`)).body.key;
    expect(createPublicKey(key).export({ format: "jwk" }).n).toBe(jwk.n);
  });

  it("takes the key away with a soft-delete (404 KeyNotFound on get and sign, 404 SecretNotFound) until recovered", async () => {
    const { version, certificate } = await make("gone", true);
    const digest = createHash("sha256").update("x").digest("base64url");
    const sign = () => call("POST", `/keys/gone/${version}/sign`, { alg: "RS256", value: digest });
    expect((await sign()).status).toBe(200);
    expect((await call("DELETE", "/certificates/gone")).status).toBe(200);
    for (const path of [`/keys/gone/${version}`, "/keys/gone"]) {
      const res = await call("GET", path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe("KeyNotFound");
    }
    const refused = await sign();
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe("KeyNotFound");
    const secret = await call("GET", `/secrets/gone/${version}`);
    expect(secret.status).toBe(404);
    expect(secret.body.error.code).toBe("SecretNotFound");

    const recovered = await call("POST", "/deletedcertificates/gone/recover");
    expect(recovered.status).toBe(200);
    expect(recovered.body.id).toBe(`${v.t.vault.vaultUrl}/certificates/gone/${version}`);
    expect((await call("GET", `/keys/gone/${version}`)).status).toBe(200);
    const signed = await sign();
    expect(signed.status).toBe(200);
    const input = Buffer.from("x");
    expect(verify("sha256", input, certificate.publicKey, Buffer.from(signed.body.value, "base64url"))).toBe(true);
    expect((await call("GET", `/secrets/gone/${version}`)).status).toBe(200);
  });
});
