import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { companionApi, existingApi, type ResourceApi } from "./api";
import { type ClientCertificate, clientCertificate } from "./certificate";
import { validityOf } from "./dates";
import { defaults, type Settings } from "./defaults";
import { ConfigError } from "./errors";
import { grantedRoles } from "./roles";
import { thumbprints } from "./thumbprint";
import { settingsProblems } from "./validation";

/**
 * Settings of one certificate-authenticated app. Every field is optional and
 * defaults as documented in Pulumi.yaml. Fields are plain values, not Inputs,
 * so that bad settings fail at preview before anything is registered.
 */
export type CertificateAppArgs = Partial<Settings>;

/**
 * An Entra ID app registration that authenticates with a certificate: key and
 * certificate (generated or brought), application, service principal, key
 * credential, and admin-consented app roles on an API.
 */
export class CertificateApp extends pulumi.ComponentResource {
  readonly tenantId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly applicationObjectId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly authority: pulumi.Output<string>;
  readonly scope: pulumi.Output<string>;
  /** The API's client id, the audience of v2.0 tokens. */
  readonly apiClientId: pulumi.Output<string>;
  readonly expectedRoles: pulumi.Output<string[]>;
  readonly certificatePem: pulumi.Output<string>;
  /** Secret. */
  readonly privateKeyPem: pulumi.Output<string>;
  readonly thumbprint: pulumi.Output<string>;
  readonly thumbprintSha256: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly certificateNotAfter: pulumi.Output<string>;

  constructor(name: string, args: CertificateAppArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const s: Settings = { ...defaults, ...args };
    // Before super(): a component that registered and then threw would leave
    // a half-made tree in the preview.
    const problems = settingsProblems(s);
    if (problems.length > 0) throw new ConfigError(problems);
    super("entra-cert-auth:index:CertificateApp", name, {}, opts);

    const client = azuread.getClientConfigOutput({ parent: this });
    const owners = s.owners.length > 0 ? pulumi.output(s.owners) : client.objectId.apply((id) => [id]);
    const cert = clientCertificate(name, s, this);
    const app = new azuread.Application(
      `${name}-app`,
      { displayName: s.displayName, signInAudience: s.signInAudience, owners },
      { parent: this },
    );
    const sp = new azuread.ServicePrincipal(`${name}-sp`, { clientId: app.clientId, owners }, { parent: this });
    const credential = this.credential(`${name}-credential`, app, cert);
    this.previousCredential(`${name}-previous-credential`, app, s.previousCertificatePem);
    const api = s.apiClientId ? existingApi(s, this) : companionApi(name, s, client.tenantId, owners, this);
    this.assignRoles(name, grantedRoles(s), sp, api);

    this.tenantId = client.tenantId;
    this.clientId = app.clientId;
    this.applicationObjectId = app.objectId;
    this.servicePrincipalObjectId = sp.objectId;
    this.authority = pulumi.interpolate`${s.authorityHost.replace(/\/$/, "")}/${client.tenantId}`;
    this.scope = pulumi.interpolate`${api.identifier}/.default`;
    this.apiClientId = api.clientId;
    this.expectedRoles = pulumi.output(grantedRoles(s));
    this.certificatePem = cert.certificatePem;
    this.privateKeyPem = cert.privateKeyPem;
    this.thumbprint = cert.certificatePem.apply((pem) => thumbprints(pem).sha1);
    this.thumbprintSha256 = cert.certificatePem.apply((pem) => thumbprints(pem).sha256);
    this.keyId = credential.keyId;
    this.certificateNotAfter = cert.notAfter;
    this.registerOutputs({
      tenantId: this.tenantId,
      clientId: this.clientId,
      applicationObjectId: this.applicationObjectId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      authority: this.authority,
      scope: this.scope,
      apiClientId: this.apiClientId,
      expectedRoles: this.expectedRoles,
      certificatePem: this.certificatePem,
      privateKeyPem: this.privateKeyPem,
      thumbprint: this.thumbprint,
      thumbprintSha256: this.thumbprintSha256,
      keyId: this.keyId,
      certificateNotAfter: this.certificateNotAfter,
    });
  }

  /**
   * A key credential. No keyId and no deleteBeforeReplace: a new certificate
   * yields a new credential that is attached before the old one is removed,
   * so clients never see a moment without a valid key.
   */
  private credential(
    name: string,
    app: azuread.Application,
    cert: Omit<ClientCertificate, "privateKeyPem">,
  ): azuread.ApplicationCertificate {
    return new azuread.ApplicationCertificate(
      name,
      {
        applicationId: app.id,
        type: "AsymmetricX509Cert",
        encoding: "pem",
        value: cert.certificatePem,
        startDate: cert.notBefore,
        endDate: cert.notAfter,
      },
      { parent: this },
    );
  }

  /** The outgoing certificate during a rotation overlap, until it expires or the next rotation replaces it. */
  private previousCredential(name: string, app: azuread.Application, pem: string): void {
    if (!pem) return;
    const { notBefore, notAfter } = validityOf(pem);
    if (new Date(notAfter) <= new Date()) return;
    this.credential(name, app, {
      certificatePem: pulumi.output(pem),
      notBefore: pulumi.output(notBefore),
      notAfter: pulumi.output(notAfter),
    });
  }

  private assignRoles(name: string, roles: string[], client: azuread.ServicePrincipal, api: ResourceApi): void {
    for (const role of roles) {
      new azuread.AppRoleAssignment(
        `${name}-role-${role}`,
        {
          appRoleId: api.roleIds.apply((ids) => ids[role]),
          principalObjectId: client.objectId,
          resourceObjectId: api.servicePrincipalObjectId,
        },
        { parent: this },
      );
    }
  }
}
