import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { toWholeSeconds, validityOf } from "./dates";
import type { Settings } from "./defaults";

/** The certificate a client authenticates with, and its key. */
export interface ClientCertificate {
  certificatePem: pulumi.Output<string>;
  /** Always a secret. */
  privateKeyPem: pulumi.Output<string>;
  /** RFC3339, whole seconds. */
  notBefore: pulumi.Output<string>;
  /** RFC3339, whole seconds. */
  notAfter: pulumi.Output<string>;
}

/**
 * A brought certificate when config supplies one, otherwise a generated RSA
 * key and a self-signed certificate (development only: production
 * certificates come from a CA, brought in through certificatePem).
 */
export function clientCertificate(name: string, s: Settings, parent: pulumi.Resource): ClientCertificate {
  return s.certificatePem ? broughtCertificate(s) : generatedCertificate(name, s, parent);
}

function broughtCertificate(s: Settings): ClientCertificate {
  const { notBefore, notAfter } = validityOf(s.certificatePem);
  return {
    certificatePem: pulumi.output(s.certificatePem),
    privateKeyPem: pulumi.secret(s.privateKeyPem),
    notBefore: pulumi.output(notBefore),
    notAfter: pulumi.output(notAfter),
  };
}

function generatedCertificate(name: string, s: Settings, parent: pulumi.Resource): ClientCertificate {
  const key = new tls.PrivateKey(
    `${name}-key`,
    { algorithm: "RSA", rsaBits: s.keySize },
    keyOptions(parent, s.rotation),
  );
  const cert = new tls.SelfSignedCert(`${name}-cert`, certificateArgs(s, key.privateKeyPem), { parent });
  return {
    certificatePem: cert.certPem,
    privateKeyPem: pulumi.secret(key.privateKeyPem),
    notBefore: cert.validityStartTime.apply(toWholeSeconds),
    notAfter: cert.validityEndTime.apply(toWholeSeconds),
  };
}

/**
 * The rotation lever. Early renewal in pulumi-tls only fires when an update
 * happens to run inside the window and is reported unreliable
 * (pulumi/pulumi-tls#39), so a changed `rotation` value replaces the key; the
 * certificate and credential follow because their inputs change. Replacement
 * stays create-before-delete: never deleteBeforeReplace here.
 */
export function keyOptions(parent: pulumi.Resource, rotation: string): pulumi.CustomResourceOptions {
  return { parent, replacementTrigger: rotation };
}

export function certificateArgs(s: Settings, privateKeyPem: pulumi.Input<string>): tls.SelfSignedCertArgs {
  return {
    privateKeyPem,
    subject: { commonName: s.certificateSubject || s.displayName },
    validityPeriodHours: s.validityDays * 24,
    earlyRenewalHours: s.earlyRenewalDays * 24,
    allowedUses: ["digital_signature", "client_auth"],
  };
}
