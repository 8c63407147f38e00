/** What an AADSTS code means for a certificate client, and what to do about it. */
export interface Diagnosis {
  meaning: string;
  fix: string;
  /** Worth waiting for: replication of a new app or credential. */
  transient: boolean;
}

/**
 * Meanings from Microsoft's AADSTS error reference
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes; the answers' exact text is in
 * shared/reference/entra-protocol.md). A new application, service principal or credential is not visible
 * everywhere at once (the directory replicates), so the codes an unreplicated object causes are transient;
 * the rest are not worth waiting for.
 */
const table: Record<number, Diagnosis> = {
  700016: {
    meaning: "the application is not (yet) in the tenant",
    fix: "check clientId and tenantId; a new app registration can take a minute to appear",
    transient: true,
  },
  7000229: {
    meaning: "the application has no service principal (yet) in the tenant",
    fix: "create the service principal (pulumi up creates it); it can take a minute to appear",
    transient: true,
  },
  700024: {
    meaning: "the client assertion is outside its valid time range",
    fix: "check this machine's clock (NTP)",
    transient: false,
  },
  700023: {
    meaning: "the client assertion is for another audience",
    fix: "check the authority host and tenant id",
    transient: false,
  },
  700021: { meaning: "the client assertion names another application", fix: "check clientId", transient: false },
  1002012: {
    meaning: "the scope is not <resource>/.default",
    fix: "ask for <api identifier>/.default in the client-credentials flow",
    transient: false,
  },
  500011: {
    meaning: "the API (resource) is not in the tenant",
    fix: "check the scope; the API needs a service principal in this tenant",
    transient: false,
  },
  90002: {
    meaning: "the tenant does not exist at this authority",
    fix: "check tenantId and the authority host (cloud)",
    transient: false,
  },
  7000216: {
    meaning: "the request carried no client credential",
    fix: "configure the certificate credential",
    transient: false,
  },
  70003: { meaning: "the grant type is not supported", fix: "use the client-credentials flow", transient: false },
  900144: { meaning: "the request is missing a parameter", fix: "upgrade or fix the client library", transient: false },
  5002730: {
    meaning: "the client assertion uses an unsupported algorithm",
    fix: "use --thumbprint sha256 (PS256) or sha1 (RS256)",
    transient: false,
  },
  50027: { meaning: "the client assertion is malformed", fix: "check the certificate and key", transient: false },
};

const keyNotFound: Diagnosis = {
  meaning: "the certificate is not registered on the app (or not visible yet)",
  fix: "compare the thumbprint with the app's Certificates & secrets page, and run pulumi up",
  transient: true,
};

const badSignature: Diagnosis = {
  meaning: "the assertion's signature does not match the registered certificate",
  fix: "use the private key that was issued with the registered certificate",
  transient: false,
};

/** Diagnoses an AADSTS answer; 700027 is transient only when the key was not found. */
export function diagnose(code: number, description: string): Diagnosis {
  if (code === 700027) return /key was not found/i.test(description) ? keyNotFound : badSignature;
  return (
    table[code] ?? {
      meaning: "the authority refused the request",
      fix: "see the AADSTS code in Microsoft's error reference",
      transient: false,
    }
  );
}
