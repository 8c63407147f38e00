import { createHash, createPublicKey, generateKeyPair, type KeyObject, X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import { issueCertificate, privateKeyOf } from "../../../common/x509";
import { bool, num, str, strList } from "../../../rehearsal/providers/fields";
import { distinguishedName, extendedUsages, keyUsages } from "../../../rehearsal/providers/tls";
import type { Created, ResourceHandler, StateEntry } from "./engine";

const generate = promisify(generateKeyPair);

/** tls:index/privateKey:PrivateKey: a real RSA key of the requested size. */
export const privateKey: ResourceHandler = {
  async create(inputs) {
    if (inputs.algorithm !== "RSA")
      throw new Error(
        `tls PrivateKey: algorithm ${inputs.algorithm} is not implemented by the local engine (RSA only)`,
      );
    const bits = inputs.rsaBits === undefined ? 2048 : num(inputs, "rsaBits", "tls PrivateKey");
    const { privateKey: key } = await generate("rsa", { modulusLength: bits });
    return privateKeyCreated(key, bits);
  },
};

/** What tls PrivateKey reports for an RSA key: its PEM forms, public key and fingerprint. */
export function privateKeyCreated(key: KeyObject, bits: number): Created {
  const publicDer = createPublicKey(key).export({ format: "der", type: "spki" });
  return {
    // The provider's id is the SHA-1 of the public key.
    id: createHash("sha1").update(publicDer).digest("hex"),
    outputs: {
      algorithm: "RSA",
      rsaBits: bits,
      privateKeyPem: key.export({ format: "pem", type: "pkcs1" }).toString(),
      privateKeyPemPkcs8: key.export({ format: "pem", type: "pkcs8" }).toString(),
      publicKeyPem: createPublicKey(key).export({ format: "pem", type: "spki" }).toString(),
      publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(publicDer).digest("base64").replace(/=+$/, "")}`,
    },
    secretOutputs: ["privateKeyPem", "privateKeyPemPkcs8"],
  };
}

/**
 * tls:index/selfSignedCert:SelfSignedCert: a real certificate honouring subject, validity and allowed uses, made
 * and judged by `clock`. Once its early-renewal time (its end less earlyRenewalHours, so its end itself with 0) has
 * passed, the plan replaces it, as the provider's ModifyPlan does (terraform-provider-tls
 * internal/provider/common_cert.go, modifyPlanIfCertificateReadyForRenewal: `timeToEarlyRenewal <= 0`).
 */
export const selfSignedCert = (clock: () => Date = () => new Date()): ResourceHandler => ({
  planned: (previous, inputs) => (readyForRenewal(previous, inputs, clock()) ? ["readyForRenewal"] : []),
  async create(inputs) {
    const what = "tls SelfSignedCert";
    const key = privateKeyOf(str(inputs, "privateKeyPem", what));
    const now = clock();
    const notAfter = new Date(now.getTime() + num(inputs, "validityPeriodHours", what) * 3600_000);
    const uses = strList(inputs, "allowedUses");
    const certPem = await issueCertificate({
      key,
      subject: distinguishedName(inputs.subject) || "CN=unnamed",
      notBefore: now,
      notAfter,
      keyUsages: usageFlags(uses),
      extendedKeyUsages: uses.flatMap((u) => extendedUsages[u] ?? []),
      dnsNames: strList(inputs, "dnsNames"),
      ipAddresses: strList(inputs, "ipAddresses"),
      ca: bool(inputs, "isCaCertificate", false),
    });
    const cert = new X509Certificate(certPem);
    return {
      id: BigInt(`0x${cert.serialNumber}`).toString(10),
      outputs: {
        certPem,
        // The provider reports nanoseconds, which the program must truncate.
        validityStartTime: withNanoseconds(now),
        validityEndTime: withNanoseconds(notAfter),
        readyForRenewal: false,
      },
    };
  },
});

/** The provider's renewal test: now at or past validityEndTime less earlyRenewalHours (0 when unset). */
export function readyForRenewal(previous: StateEntry, inputs: Record<string, unknown>, now: Date): boolean {
  const end = previous.outputs.validityEndTime;
  if (typeof end !== "string") return false;
  const hours = typeof inputs.earlyRenewalHours === "number" ? inputs.earlyRenewalHours : 0;
  return Date.parse(end) - hours * 3_600_000 - now.getTime() <= 0;
}

function usageFlags(uses: string[]): number {
  let flags = 0;
  for (const use of uses) {
    const flag = keyUsages[use];
    if (flag !== undefined) flags |= flag;
    else if (!(use in extendedUsages) && use !== "any_extended")
      throw new Error(`tls SelfSignedCert: allowed use ${use} is not known`);
  }
  return flags;
}

const withNanoseconds = (d: Date) =>
  d
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_m, ms) => `.${ms}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}Z`);
