import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { thumbprints } from "../common/thumbprint";
import { companionApi, existingApi, type ResourceApi } from "./api";
import { clientCertificate } from "./certificate";
import { validityOf } from "./dates";
import { defaults, type Settings } from "./defaults";
import { ConfigError } from "./errors";
import { buildPfx } from "./pfx";
import { grantedRoles } from "./roles";
import { type Generation, planRotation, priorState, type RotationPlan, type RotationState } from "./rotation";
import { stackPath } from "./stack";
import { needsTokenVersion2, settingsProblems } from "./validation";
import { hexOfPem } from "./vault";
import { type VaultCertificate, vaultCertificate } from "./vaultCertificate";

/**
 * Settings of one certificate-authenticated app. Every field is optional and defaults as documented in
 * Pulumi.yaml. Fields are plain values, not Inputs, so that bad settings fail at preview before anything
 * is registered.
 */
export type CertificateAppArgs = Partial<Settings> & {
  /**
   * The API to grant roles on, shared with other CertificateApps (see CertificateClients). Absent: the app's own
   * companion API, or the existing `apiClientId`.
   */
  api?: ResourceApi;
  /**
   * Reads one of this app's outputs of the previous deployment (`rotationState`, `certificatePem`): its rotation
   * memory. Absent: this stack's top-level outputs, through a StackReference to the stack itself.
   */
  previousOutput?: PreviousOutput;
};

/** One output of an app's previous deployment by its name, or undefined when there is none. */
export type PreviousOutput = (output: string) => Promise<unknown>;

/** A certificate the application has as a key credential, as the `attachedCertificates` output lists it. */
export interface AttachedCertificate {
  thumbprint: string;
  thumbprintSha256: string;
  notAfter: string;
}

/** The current generation's certificate: its private key when it is in the state, its vault objects when not. */
interface CurrentCertificate {
  certificatePem: pulumi.Output<string>;
  /** Secret; absent for a certificate generated in Key Vault. */
  privateKeyPem?: pulumi.Output<string>;
  vault?: VaultCertificate;
}

/** What one deployment attached: made once the previous deployment's outputs are read. */
interface Attached {
  plan: RotationPlan;
  certificate: CurrentCertificate;
  credential: azuread.ApplicationCertificate;
}

/**
 * An Entra ID app registration that authenticates with a certificate: key and certificate (generated or
 * brought), application, service principal, key credentials (the current certificate and, after a
 * rotation, the previous one), and admin-consented app roles on an API. With keyVaultId the certificate is
 * generated in Key Vault and its key never leaves it: the private key, PFX and password outputs are then
 * undefined (a Pulumi program drops undefined exports) and the vault ids take their place.
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
  /** Secret. Undefined in Key Vault mode. */
  readonly privateKeyPem: pulumi.Output<string> | undefined;
  readonly thumbprint: pulumi.Output<string>;
  readonly thumbprintSha256: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly certificateNotAfter: pulumi.Output<string>;
  /** Base64 PKCS#12 with the certificate and its key. Secret. Undefined in Key Vault mode. */
  readonly certificatePfx: pulumi.Output<string> | undefined;
  /** Secret. Undefined in Key Vault mode. */
  readonly pfxPassword: pulumi.Output<string> | undefined;
  /** Key Vault mode: the versioned id of the current certificate's key, what a client signs with. */
  readonly keyVaultKeyId: pulumi.Output<string> | undefined;
  /** Key Vault mode: the versioned id of the current certificate. */
  readonly keyVaultCertificateId: pulumi.Output<string> | undefined;
  /** Key Vault mode with keyVaultExportable: the versioned id of the certificate's secret, the PFX with its key. */
  readonly keyVaultSecretId: pulumi.Output<string> | undefined;
  /** Current first, then the previous one while it stays attached. */
  readonly attachedCertificates: pulumi.Output<AttachedCertificate[]>;
  /** The program's memory between deployments, read back through a StackReference to this stack. */
  readonly rotationState: pulumi.Output<RotationState>;

  constructor(name: string, args: CertificateAppArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const { api: sharedApi, previousOutput, ...own } = args;
    const settings: Settings = { ...defaults, ...own };
    // Before super(): a component that registered and then threw would leave a half-made tree in the preview.
    const problems = settingsProblems(settings);
    if (problems.length > 0) throw new ConfigError(problems);
    super("entra-cert-auth:index:CertificateApp", name, {}, opts);

    const client = azuread.getClientConfigOutput({ parent: this });
    const owners = settings.owners.length > 0 ? pulumi.output(settings.owners) : client.objectId.apply((id) => [id]);
    if (settings.owners.length > 0) warnIfDeployerDropped(settings.owners, client.objectId, this);
    const app = new azuread.Application(
      `${name}-app`,
      {
        displayName: settings.displayName,
        signInAudience: settings.signInAudience,
        owners,
        // Personal-account audiences require v2 tokens on every app registration (Graph refuses otherwise).
        ...(needsTokenVersion2(settings.signInAudience) ? { api: { requestedAccessTokenVersion: 2 } } : {}),
      },
      { parent: this },
    );
    const sp = new azuread.ServicePrincipal(`${name}-sp`, { clientId: app.clientId, owners }, { parent: this });
    const attached = this.attach(name, app, settings, previousOutput);
    const api =
      sharedApi ??
      (settings.apiClientId
        ? existingApi(settings, this)
        : companionApi(name, settings, client.tenantId, owners, this));
    this.assignRoles(name, grantedRoles(settings), sp, api);

    this.tenantId = client.tenantId;
    this.clientId = app.clientId;
    this.applicationObjectId = app.objectId;
    this.servicePrincipalObjectId = sp.objectId;
    this.authority = pulumi.interpolate`${settings.authorityHost.replace(/\/$/, "")}/${client.tenantId}`;
    this.scope = pulumi.interpolate`${api.identifier}/.default`;
    this.apiClientId = api.clientId;
    this.expectedRoles = pulumi.output(grantedRoles(settings));
    const inVault = settings.keyVaultId !== "";
    this.certificatePem = pulumi.output(attached.then((a) => a.certificate.certificatePem));
    this.privateKeyPem = inVault
      ? undefined
      : pulumi.output(attached.then((a) => present(a.certificate.privateKeyPem)));
    this.thumbprint = this.certificatePem.apply((pem) => thumbprints(pem).sha1);
    this.thumbprintSha256 = this.certificatePem.apply((pem) => thumbprints(pem).sha256);
    this.keyId = pulumi.output(attached.then((a) => a.credential.keyId));
    this.certificateNotAfter = this.certificatePem.apply((pem) => validityOf(pem).notAfter);
    this.attachedCertificates = pulumi.output(
      attached.then((a) =>
        pulumi
          .all([a.certificate.certificatePem, ...(a.plan.previous ? [a.plan.previous.certificatePem] : [])])
          .apply((pems) => pems.map(describe)),
      ),
    );
    this.rotationState = pulumi.output(
      attached.then((a) => a.certificate.certificatePem.apply((certificatePem) => stateAfter(a.plan, certificatePem))),
    );
    const vault = (pick: (v: VaultCertificate) => pulumi.Output<string>) =>
      pulumi.output(attached.then((a) => pick(present(a.certificate.vault))));
    this.keyVaultKeyId = inVault ? vault((v) => v.keyId) : undefined;
    this.keyVaultCertificateId = inVault ? vault((v) => v.certificateId) : undefined;
    this.keyVaultSecretId = inVault && settings.keyVaultExportable ? vault((v) => v.secretId) : undefined;
    const pfx = this.privateKeyPem ? this.pfx(name, this.certificatePem, this.privateKeyPem, settings) : undefined;
    this.pfxPassword = pfx?.password;
    this.certificatePfx = pfx?.pfx;
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
      certificatePfx: this.certificatePfx,
      pfxPassword: this.pfxPassword,
      keyVaultKeyId: this.keyVaultKeyId,
      keyVaultCertificateId: this.keyVaultCertificateId,
      keyVaultSecretId: this.keyVaultSecretId,
      attachedCertificates: this.attachedCertificates,
      rotationState: this.rotationState,
    });
  }

  /** The PFX of a certificate whose key is in the state, and its password. */
  private pfx(
    name: string,
    certificatePem: pulumi.Output<string>,
    privateKeyPem: pulumi.Output<string>,
    settings: Settings,
  ): { pfx: pulumi.Output<string>; password: pulumi.Output<string> } {
    // Alphanumeric: it ends up in environment files and shell variables, where quoting bites. `result` is
    // secret in the provider already (additionalSecretOutputs); wrapping says so here too.
    const password = pulumi.secret(
      settings.pfxPassword ||
        new random.RandomPassword(`${name}-pfx-password`, { length: 32, special: false }, { parent: this }).result,
    );
    const pfx = pulumi.secret(
      pulumi
        .all([certificatePem, privateKeyPem, password])
        .apply(([cert, key, pass]) => buildPfx(cert, key, pass, settings.pfxEncryption)),
    );
    return { pfx, password };
  }

  /**
   * Reads what the previous deployment attached, through a StackReference to this very stack (pulumi/pulumi
   * pkg/resource/deploy/builtins.go, readStackReference; a stack with no deployment yet reads no outputs,
   * pkg/backend/backend.go GetStackOutputs), then declares the current generation and keeps the previous
   * one. Resources are declared once the outputs are read, which the CLI does in preview too.
   */
  private async attach(
    name: string,
    app: azuread.Application,
    settings: Settings,
    previousOutput?: PreviousOutput,
  ): Promise<Attached> {
    const read = previousOutput ?? this.ownStackOutputs(name);
    const [state, pem, clientId] = await Promise.all([read("rotationState"), read("certificatePem"), read("clientId")]);
    const prior = priorState(state, pem);
    if (!prior && clientId !== undefined && !settings.allowRotationReset) throw new ConfigError([memoryLost]);
    const plan = planRotation(prior, settings, new Date());
    const certificate = this.currentCertificate(name, plan.current, settings);
    const credential = this.credential(name, plan.current, app, certificate.certificatePem);
    if (plan.previous) {
      // A vault generation's certificate stays while its credential does: its key signs for the clients that
      // have not moved to the new certificate yet. It goes (deleted, and purged by default) with the credential.
      const kept = plan.previous.keyVaultId
        ? vaultCertificate(name, plan.previous.id, plan.previous.keyVaultId, settings, this)
        : undefined;
      this.credential(name, plan.previous, app, pulumi.output(plan.previous.certificatePem), kept?.resource);
    }
    return { plan, certificate, credential };
  }

  /** This stack's top-level outputs of its previous deployment. */
  private ownStackOutputs(name: string): PreviousOutput {
    const ref = new pulumi.StackReference(`${name}-previous-outputs`, { name: stackPath() }, { parent: this });
    // An output the previous deployment (or a later `pulumi stack` edit) marked secret comes back in
    // secretValue, not value (@pulumi/pulumi stackReference.ts, getOutputDetails): read either.
    return async (output) => {
      const details = await ref.getOutputDetails(output);
      return details.value ?? details.secretValue;
    };
  }

  /** The current generation's certificate: generated in Key Vault, by the tls provider, or brought. */
  private currentCertificate(name: string, current: Generation, settings: Settings): CurrentCertificate {
    const vault = current.keyVaultId
      ? vaultCertificate(name, current.id, current.keyVaultId, settings, this)
      : undefined;
    if (vault && !settings.certificatePem) return { certificatePem: vault.certificatePem, vault };
    const made = clientCertificate(name, current.id, settings, this);
    // A brought certificate that is already attached keeps the PEM text its credential was made with:
    // the same certificate written differently would replace the credential and attach it twice.
    const certificatePem =
      settings.certificatePem && current.certificatePem ? pulumi.output(current.certificatePem) : made.certificatePem;
    return { certificatePem, privateKeyPem: made.privateKeyPem };
  }

  /**
   * A key credential, one per generation for its whole life. No keyId and no deleteBeforeReplace: were it
   * ever replaced, the new one would be attached before the old one is removed. Dates come from the PEM
   * itself, so a credential's inputs are the same whether its certificate is current or previous.
   *
   * A vault generation is attached as hex DER (`encoding: "hex"`, the documented pattern for a Key Vault
   * certificate's certificate_data): the uppercase hex azurerm reports (key_vault_certificate_resource.go), made
   * here from the DER so that the kept credential of a previous generation, rebuilt from the remembered PEM, has
   * exactly the inputs it was created with. Its dates are the certificate's own, to the second, as Key Vault's
   * certificate attributes (nbf, exp) have them.
   */
  private credential(
    name: string,
    generation: Generation,
    app: azuread.Application,
    certificatePem: pulumi.Output<string>,
    vaultCertificate?: pulumi.Resource,
  ): azuread.ApplicationCertificate {
    const hex = generation.keyVaultId !== undefined;
    // Generation "" is the single credential of stacks deployed before generations existed.
    return new azuread.ApplicationCertificate(
      generation.id ? `${name}-credential-${generation.id}` : `${name}-credential`,
      {
        applicationId: app.id,
        type: "AsymmetricX509Cert",
        encoding: hex ? "hex" : "pem",
        value: hex ? certificatePem.apply(hexOfPem) : certificatePem,
        startDate: certificatePem.apply((pem) => validityOf(pem).notBefore),
        endDate: certificatePem.apply((pem) => validityOf(pem).notAfter),
      },
      // A kept credential's value comes from the remembered PEM, not from its vault certificate: the dependency
      // says that the credential goes first when both go, so no credential outlives its key.
      { parent: this, ...(vaultCertificate ? { dependsOn: [vaultCertificate] } : {}) },
    );
  }

  private assignRoles(name: string, roles: string[], client: azuread.ServicePrincipal, api: ResourceApi): void {
    for (const role of roles) {
      new azuread.AppRoleAssignment(
        `${name}-role-${role}`,
        {
          appRoleId: api.roleIds.apply((ids) => ids[role] ?? ""),
          principalObjectId: client.objectId,
          resourceObjectId: api.servicePrincipalObjectId,
        },
        { parent: this },
      );
    }
  }
}

/** A value the mode guarantees; its absence is a bug in this file, not a setting. */
function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("CertificateApp: a certificate of the current mode is missing");
  return value;
}

/**
 * The previous outputs show a deployed app but not what it has attached. Planning from nothing would start
 * a new generation and delete every credential the app has at the end of the update, without overlap. The
 * engine reads a stack whose outputs were lost (state surgery, an import, a backend migration) as `{}`;
 * when even clientId is gone the program cannot tell that stack from a new one (see README, Rotation).
 */
const memoryLost =
  "the previous outputs have clientId but neither rotationState nor certificatePem, so the program does not know which certificates are attached: restore the stack's outputs (`pulumi stack export`/`import` from a backup or the history), or accept a new certificate and the removal of the attached ones for this one update with `pulumi config set allowRotationReset true` (then `pulumi config rm allowRotationReset`)";

function describe(certificatePem: string): AttachedCertificate {
  const { sha1, sha256 } = thumbprints(certificatePem);
  return { thumbprint: sha1, thumbprintSha256: sha256, notAfter: validityOf(certificatePem).notAfter };
}

function stateAfter(plan: RotationPlan, certificatePem: string): RotationState {
  return { current: { ...plan.current, certificatePem }, ...(plan.previous ? { previous: plan.previous } : {}) };
}

/**
 * With Application.ReadWrite.OwnedBy the deployer may only manage apps it owns: owners without it lock the
 * next deployment out (azuread docs, application resource, "owners"). Warned, not refused: a deployer with
 * Application.ReadWrite.All does not need to be an owner.
 */
function warnIfDeployerDropped(owners: string[], deployer: pulumi.Output<string>, resource: pulumi.Resource): void {
  deployer.apply((id) => {
    if (!owners.includes(id))
      pulumi.log.warn(
        `owners does not include the deployer ${id}: with Application.ReadWrite.OwnedBy the next deployment cannot change these apps; add it to owners`,
        resource,
      );
  });
}
