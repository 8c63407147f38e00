import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { Settings } from "./defaults";

/** The certificate a client authenticates with, and its key. */
export interface ClientCertificate {
  certificatePem: pulumi.Output<string>;
  /** Always a secret. */
  privateKeyPem: pulumi.Output<string>;
}

/**
 * A brought certificate when config supplies one, otherwise a generated RSA key and a self-signed
 * certificate (development only: production certificates come from a CA, brought in through
 * certificatePem). Generated ones are named by their generation id, so that a rotation makes new
 * resources beside the old ones instead of replacing them: the overlap needs the old credential to stay.
 */
export function clientCertificate(
  name: string,
  generation: string,
  settings: Settings,
  parent: pulumi.Resource,
): ClientCertificate {
  if (settings.certificatePem) {
    return {
      certificatePem: pulumi.output(settings.certificatePem),
      privateKeyPem: pulumi.secret(settings.privateKeyPem),
    };
  }
  const key = new tls.PrivateKey(
    `${name}-key-${generation}`,
    { algorithm: "RSA", rsaBits: settings.keySize },
    // Key and certificate settings take effect at the next rotation, through new resources: changing
    // them in place would replace the credential inside one update, without overlap.
    { parent, ignoreChanges: ["algorithm", "rsaBits"] },
  );
  const cert = new tls.SelfSignedCert(`${name}-cert-${generation}`, certificateArgs(settings, key.privateKeyPem), {
    parent,
    ignoreChanges: ["subject", "validityPeriodHours", "earlyRenewalHours", "allowedUses"],
  });
  return { certificatePem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
}

/**
 * The self-signed certificate's arguments. `earlyRenewalHours` stays 0: the provider's own early renewal
 * replaces the certificate during planning and the old credential goes at the end of the same update,
 * without overlap (pulumi/pulumi-tls#39; terraform-provider-tls, resource_self_signed_cert.go,
 * ModifyPlan). The program renews through a new generation instead (see rotation.ts).
 */
export function certificateArgs(settings: Settings, privateKeyPem: pulumi.Input<string>): tls.SelfSignedCertArgs {
  return {
    privateKeyPem,
    subject: { commonName: settings.certificateSubject || settings.displayName },
    validityPeriodHours: settings.validityDays * 24,
    earlyRenewalHours: 0,
    allowedUses: ["digital_signature", "client_auth"],
  };
}
