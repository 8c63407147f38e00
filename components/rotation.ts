import { createHash, X509Certificate } from "node:crypto";
import { thumbprints } from "../common/thumbprint";
import type { Settings } from "./defaults";

/**
 * One certificate this stack attached, as the `rotationState` output remembers it between updates.
 * `id` names its credential resource (and, when generated, its key and certificate), so a generation
 * keeps one credential for its whole life: it is never detached and attached again.
 */
export interface Generation {
  id: string;
  /**
   * A digest of the rotation value that made it (rotationDigest), never its text: rotationState is a plain
   * output, and the value typed there may be anything. Stacks deployed before kept the text; it is still
   * recognised, and written back as a digest. Absent for a brought certificate.
   */
  rotation?: string;
  /** Known once made; a generation about to be generated has none yet. */
  certificatePem?: string;
  /**
   * The ARM id of the vault that generated it and keeps its key; absent for a tls or brought certificate. It
   * decides how the generation is attached (hex, from the vault certificate) and keeps its vault certificate
   * declared for as long as the generation stays attached.
   */
  keyVaultId?: string;
  /** A vault generation whose key Key Vault may export (keyVaultExportable when it was made). */
  keyVaultExportable?: boolean;
}

/** What the previous deployment attached: the current certificate first, then the one kept for overlap. */
export interface RotationState {
  current: Generation;
  previous?: Generation & { certificatePem: string };
}

/** What this deployment attaches. `current.certificatePem` is absent when a new key is to be generated. */
export interface RotationPlan {
  current: Generation;
  previous?: Generation & { certificatePem: string };
}

/**
 * Decides which certificates stay attached, from the previous deployment's outputs. A rotation (a new
 * `rotation` value, a newly brought certificate, or the early-renewal window reached) makes a new
 * current generation and keeps the outgoing one attached as previous; the one before that is dropped,
 * and so removed after the new credential is attached. Anything else keeps both as they are.
 */
export function planRotation(prior: RotationState | undefined, settings: Settings, now: Date): RotationPlan {
  const plan = settings.certificatePem
    ? planBrought(prior, settings.certificatePem)
    : planGenerated(prior, settings, now);
  const previous = plan.previous;
  // An expired certificate authenticates nobody; Graph keeps it, but there is no reason to.
  if (previous && new Date(new X509Certificate(previous.certificatePem).validTo) <= now)
    return { current: plan.current };
  return plan;
}

function planGenerated(prior: RotationState | undefined, settings: Settings, now: Date): RotationPlan {
  const current = prior?.current;
  const digest = rotationDigest(settings.rotation);
  const same = current?.rotation === digest || current?.rotation === settings.rotation;
  if (prior && current && same && sameHome(current, settings) && !dueForRenewal(current, settings, now))
    return { current: { ...current, rotation: digest }, previous: digested(prior.previous) };
  // Chained to the outgoing id, so going back to an earlier rotation value still makes a new generation.
  const id = shortHash(`${settings.rotation}\n${current?.id ?? ""}`);
  const home = settings.keyVaultId
    ? { keyVaultId: settings.keyVaultId, ...(settings.keyVaultExportable ? { keyVaultExportable: true } : {}) }
    : {};
  return { current: { id, rotation: digest, ...home }, previous: digested(outgoing(current)) };
}

/**
 * Whether the generation's key lives where the settings want new keys: moving to Key Vault, out of it or to
 * another vault is a rotation with overlap, never a change in place of the attached certificate. ARM ids compare
 * without case, as Azure Resource Manager does.
 */
function sameHome(g: Generation, settings: Settings): boolean {
  // Exportability is fixed when Key Vault makes the key: asking for another is a new generation too, so that the
  // current certificate is always what keyVaultExportable (and the keyVaultSecretId output) says.
  return (
    (g.keyVaultId ?? "").toLowerCase() === settings.keyVaultId.toLowerCase() &&
    (!g.keyVaultId || (g.keyVaultExportable ?? false) === settings.keyVaultExportable)
  );
}

/**
 * How rotationState remembers a rotation value: `sha256:` and the hex SHA-256 of the value under this
 * program's label. Equal values compare equal; the text is not kept.
 */
export function rotationDigest(rotation: string): string {
  return `sha256:${createHash("sha256").update(`entra-cert-auth rotation\n${rotation}`).digest("hex")}`;
}

/** A kept generation with its rotation value as a digest (a stack deployed before digests kept the text). */
function digested<G extends Generation>(g: G | undefined): G | undefined {
  if (!g?.rotation || /^sha256:[0-9a-f]{64}$/.test(g.rotation)) return g;
  return { ...g, rotation: rotationDigest(g.rotation) };
}

function planBrought(prior: RotationState | undefined, certificatePem: string): RotationPlan {
  const thumbprint = sha256Of(certificatePem);
  const same = (g: Generation | undefined) =>
    g?.certificatePem !== undefined && sha256Of(g.certificatePem) === thumbprint;
  // The same certificate keeps its credential, whichever slot it is in: never attached twice. It is brought
  // now, so it forgets its rotation value: going back to generating makes a new generation, with overlap.
  // A vault generation brought back (its key exported) keeps its vault certificate and its hex credential.
  const brought = (g: Generation): Generation => ({
    id: g.id,
    certificatePem: g.certificatePem,
    ...(g.keyVaultId ? { keyVaultId: g.keyVaultId } : {}),
    ...(g.keyVaultExportable ? { keyVaultExportable: true } : {}),
  });
  if (prior && same(prior.current)) return { current: brought(prior.current), previous: digested(prior.previous) };
  if (prior?.previous && same(prior.previous))
    return { current: brought(prior.previous), previous: digested(outgoing(prior.current)) };
  return {
    current: { id: `byo-${thumbprint.slice(0, 12)}`, certificatePem },
    previous: digested(outgoing(prior?.current)),
  };
}

/**
 * Whether the current generated certificate is to be replaced by a new generation: inside the early-renewal
 * window, or (whatever earlyRenewalDays says) expired or about to be. The tls provider re-issues a
 * certificate whose end has passed even with earlyRenewalHours 0 (terraform-provider-tls
 * internal/provider/common_cert.go, modifyPlanIfCertificateReadyForRenewal: `timeToEarlyRenewal <= 0`
 * sets ready_for_renewal and requires replacement), which would replace the current credential inside one
 * update. A new generation instead declares new resources and no longer declares the expired ones, so the
 * provider is never asked. `expiryMargin` covers the time between this decision and the provider's plan.
 */
function dueForRenewal(current: Generation, settings: Settings, now: Date): boolean {
  if (!current.certificatePem) return false;
  const notAfter = new Date(new X509Certificate(current.certificatePem).validTo).getTime();
  const window = Math.max(settings.earlyRenewalDays * 86_400_000, expiryMargin);
  return notAfter - window <= now.getTime();
}

/** How long before its end a certificate counts as expired here: longer than an update takes. */
export const expiryMargin = 3_600_000;

function outgoing(g: Generation | undefined): RotationPlan["previous"] {
  return g?.certificatePem ? { ...g, certificatePem: g.certificatePem } : undefined;
}

/**
 * The previous deployment's state, from its outputs. A stack last deployed by the program before
 * generations existed has only `certificatePem`: its credential resource had no suffix (id ""), and it
 * becomes the previous certificate of the first generation.
 */
export function priorState(rotationState: unknown, certificatePem: unknown): RotationState | undefined {
  const state = asState(rotationState);
  if (state) return state;
  if (typeof certificatePem === "string" && certificatePem) return { current: { id: "", certificatePem } };
  return undefined;
}

function asState(value: unknown): RotationState | undefined {
  if (typeof value !== "object" || value === null || !("current" in value)) return undefined;
  const current = asGeneration(value.current);
  if (!current) return undefined;
  const previous = "previous" in value ? asGeneration(value.previous) : undefined;
  return { current, previous: outgoing(previous) };
}

function asGeneration(value: unknown): Generation | undefined {
  if (typeof value !== "object" || value === null || !("id" in value) || typeof value.id !== "string") return undefined;
  const text = (k: string) => (k in value ? (value as Record<string, unknown>)[k] : undefined);
  const rotation = text("rotation");
  const pem = text("certificatePem");
  const keyVaultId = text("keyVaultId");
  const exportable = text("keyVaultExportable");
  return {
    id: value.id,
    ...(typeof rotation === "string" ? { rotation } : {}),
    ...(typeof pem === "string" ? { certificatePem: pem } : {}),
    ...(typeof keyVaultId === "string" && keyVaultId ? { keyVaultId } : {}),
    ...(exportable === true ? { keyVaultExportable: true } : {}),
  };
}

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
const sha256Of = (pem: string) => thumbprints(pem).sha256;
