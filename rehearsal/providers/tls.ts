import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { promisify } from "node:util";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "../../common/x509";
import { type Created, type Diff, type PriorState, ProviderError, type ResourceProvider } from "../engine/provider";
import type { PlainMap, ValueMap } from "../engine/wire";
import { diffKeys } from "./diff";
import { asSet, bool, isFields, known, num, optStr, str, strList, withDefaults } from "./fields";

const generate = promisify(generateKeyPair);

const newRsaKey = (bits: number): Promise<KeyObject> =>
  generate("rsa", { modulusLength: bits }).then((pair) => pair.privateKey);

/**
 * tls:index/privateKey:PrivateKey. Every input is ForceNew in
 * terraform-provider-tls (resource_private_key.go); rsa_bits defaults to
 * 2048 and ecdsa_curve to P224. RSA only here: the program asks for nothing else.
 * Keys come from `keyOf`: new ones by default; the program tests hand in their run's pool, since making RSA keys
 * is what would make them slow.
 */
export function privateKeyProvider(keyOf: (bits: number) => Promise<KeyObject> = newRsaKey): ResourceProvider {
  return {
    secretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
    check(news) {
      const checked = withDefaults(news, { rsaBits: 2048, ecdsaCurve: "P224" });
      const algorithm = checked.algorithm;
      if (known(algorithm) && !["RSA", "ECDSA", "ED25519"].includes(String(algorithm)))
        throw new ProviderError("tls PrivateKey: algorithm must be one of RSA, ECDSA, ED25519");
      if (known(algorithm) && algorithm !== "RSA")
        throw new ProviderError("tls PrivateKey: the local engine implements algorithm RSA only");
      return checked;
    },
    diff: (olds, _outputs, news) => diffKeys(olds, news, () => true),
    async create(inputs) {
      const key = await keyOf(num(inputs, "rsaBits", "tls PrivateKey"));
      const publicKey = createPublicKey(key);
      const publicDer = publicKey.export({ format: "der", type: "spki" });
      return {
        // hashForState(public key PEM) in the provider: the SHA-1 of the public key.
        id: createHash("sha1").update(publicDer).digest("hex"),
        outputs: {
          ...inputs,
          privateKeyPem: key.export({ format: "pem", type: "pkcs1" }).toString(),
          privateKeyPemPkcs8: key.export({ format: "pem", type: "pkcs8" }).toString(),
          publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
          publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(publicDer).digest("base64").replace(/=+$/, "")}`,
        },
      };
    },
    delete: async () => undefined,
  };
}

export const privateKey = privateKeyProvider();

/** The tls provider's allowed_uses names: key usage flags and extended key usage OIDs. */
const keyUsages: Record<string, number> = {
  digital_signature: KeyUsageFlags.digitalSignature,
  content_commitment: KeyUsageFlags.nonRepudiation,
  key_encipherment: KeyUsageFlags.keyEncipherment,
  data_encipherment: KeyUsageFlags.dataEncipherment,
  key_agreement: KeyUsageFlags.keyAgreement,
  cert_signing: KeyUsageFlags.keyCertSign,
  crl_signing: KeyUsageFlags.cRLSign,
  encipher_only: KeyUsageFlags.encipherOnly,
  decipher_only: KeyUsageFlags.decipherOnly,
};

const extendedUsages: Record<string, string> = {
  server_auth: ExtendedKeyUsage.serverAuth,
  client_auth: ExtendedKeyUsage.clientAuth,
  code_signing: ExtendedKeyUsage.codeSigning,
  email_protection: ExtendedKeyUsage.emailProtection,
  timestamping: ExtendedKeyUsage.timeStamping,
  ocsp_signing: ExtendedKeyUsage.ocspSigning,
};

/** Fields of tls_self_signed_cert that update in place; every other input is ForceNew (resource_self_signed_cert.go). */
const certUpdatable = new Set(["earlyRenewalHours"]);

/**
 * tls:index/selfSignedCert:SelfSignedCert. `early_renewal_hours` updates in
 * place (state only); a certificate inside its early-renewal window plans a
 * replacement through `ready_for_renewal`, as the provider's ModifyPlan does.
 */
export function selfSignedCert(now: () => Date = () => new Date()): ResourceProvider {
  return {
    secretOutputs: ["privateKeyPem"],
    check(news) {
      const checked = withDefaults(news, { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false });
      checked.allowedUses = asSet(checked.allowedUses, String) ?? null;
      for (const use of Array.isArray(checked.allowedUses) ? checked.allowedUses : []) {
        if (known(use) && !(String(use) in keyUsages || String(use) in extendedUsages || use === "any_extended"))
          throw new ProviderError("tls SelfSignedCert: allowedUses holds a value that is not a known key usage");
      }
      const hours = checked.validityPeriodHours;
      if (known(hours) && (typeof hours !== "number" || hours <= 0))
        throw new ProviderError("tls SelfSignedCert: validityPeriodHours must be a positive number");
      return checked;
    },
    diff(olds, outputs, news): Diff {
      const diff = diffKeys(olds, news, (k) => !certUpdatable.has(k));
      if (readyForRenewal(outputs, news, now()))
        return { changed: [...diff.changed, "readyForRenewal"], replace: [...diff.replace, "readyForRenewal"] };
      return diff;
    },
    async create(inputs) {
      const what = "tls SelfSignedCert";
      const key = createPrivateKey(str(inputs, "privateKeyPem", what));
      const start = now();
      const end = new Date(start.getTime() + num(inputs, "validityPeriodHours", what) * 3600_000);
      const uses = strList(inputs, "allowedUses");
      const certPem = await issueCertificate({
        key,
        subject: distinguishedName(inputs.subject),
        notBefore: start,
        notAfter: end,
        keyUsages: uses.reduce<number>((flags, u) => flags | (keyUsages[u] ?? 0), 0),
        extendedKeyUsages: uses.flatMap((u) => extendedUsages[u] ?? []),
        dnsNames: strList(inputs, "dnsNames"),
        ipAddresses: strList(inputs, "ipAddresses"),
        ca: bool(inputs, "isCaCertificate", false),
      });
      const cert = new X509Certificate(certPem);
      const validityEndTime = rfc3339Nano(end);
      return {
        // The provider's id is the serial number in decimal.
        id: BigInt(`0x${cert.serialNumber}`).toString(10),
        outputs: {
          ...inputs,
          certPem,
          keyAlgorithm: "RSA",
          validityStartTime: rfc3339Nano(start),
          validityEndTime,
          readyForRenewal: false,
        },
      };
    },
    async update(prior: PriorState, news: PlainMap): Promise<Created> {
      return { id: prior.id, outputs: { ...prior.outputs, ...news, readyForRenewal: false } };
    },
    delete: async () => undefined,
  };
}

function readyForRenewal(outputs: ValueMap, news: ValueMap, now: Date): boolean {
  const end = outputs.validityEndTime;
  const hours = news.earlyRenewalHours;
  if (typeof end !== "string" || typeof hours !== "number") return false;
  return now.getTime() >= Date.parse(end) - hours * 3600_000;
}

const dnFields: [string, string][] = [
  ["commonName", "CN"],
  ["organization", "O"],
  ["organizationalUnit", "OU"],
  ["locality", "L"],
  ["province", "ST"],
  ["country", "C"],
];

/** The subject block as the provider writes it into a DN ("" when no field is set). */
function distinguishedName(subject: unknown): string {
  const s = isFields(subject) ? subject : {};
  const parts = dnFields.flatMap(([k, short]) => {
    const v = optStr(s, k);
    return v ? [`${short}=${v.replace(/([,+"\\<>;=])/g, "\\$1")}`] : [];
  });
  return parts.join(", ");
}

/**
 * Go's time.RFC3339Nano, which the tls provider uses for validity times: the
 * fraction has nanosecond precision and its trailing zeros are dropped.
 */
export function rfc3339Nano(d: Date, nanos = process.hrtime()[1] % 1_000_000): string {
  const fraction = `${String(d.getUTCMilliseconds()).padStart(3, "0")}${String(nanos).padStart(6, "0")}`.replace(
    /0+$/,
    "",
  );
  return d.toISOString().replace(/\.\d{3}Z$/, fraction ? `.${fraction}Z` : "Z");
}
