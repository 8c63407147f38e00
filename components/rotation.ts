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
  /** The rotation value that made it; absent for a brought certificate. */
  rotation?: string;
  /** Known once made; a generation about to be generated has none yet. */
  certificatePem?: string;
  /**
   * The ARM id of the vault that generated it and keeps its key; absent for a tls or brought certificate. It
   * decides how the generation is attached (hex, from the vault certificate) and keeps its vault certificate
   * declared for as long as the generation stays attached.
   */
  keyVaultId?: string;
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
  if (
    current &&
    current.rotation === settings.rotation &&
    sameHome(current, settings) &&
    !dueForRenewal(current, settings, now)
  )
    return { ...prior };
  // Chained to the outgoing id, so going back to an earlier rotation value still makes a new generation.
  const id = shortHash(`${settings.rotation}\n${current?.id ?? ""}`);
  const home = settings.keyVaultId ? { keyVaultId: settings.keyVaultId } : {};
  return { current: { id, rotation: settings.rotation, ...home }, previous: outgoing(current) };
}

/**
 * Whether the generation's key lives where the settings want new keys: moving to Key Vault, out of it or to
 * another vault is a rotation with overlap, never a change in place of the attached certificate. ARM ids compare
 * without case, as Azure Resource Manager does.
 */
function sameHome(g: Generation, settings: Settings): boolean {
  return (g.keyVaultId ?? "").toLowerCase() === settings.keyVaultId.toLowerCase();
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
  });
  if (prior && same(prior.current)) return { current: brought(prior.current), previous: prior.previous };
  if (prior?.previous && same(prior.previous))
    return { current: brought(prior.previous), previous: outgoing(prior.current) };
  return { current: { id: `byo-${thumbprint.slice(0, 12)}`, certificatePem }, previous: outgoing(prior?.current) };
}

function dueForRenewal(current: Generation, settings: Settings, now: Date): boolean {
  if (settings.earlyRenewalDays <= 0 || !current.certificatePem) return false;
  const notAfter = new Date(new X509Certificate(current.certificatePem).validTo).getTime();
  return notAfter - settings.earlyRenewalDays * 86_400_000 <= now.getTime();
}

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
  return {
    id: value.id,
    ...(typeof rotation === "string" ? { rotation } : {}),
    ...(typeof pem === "string" ? { certificatePem: pem } : {}),
    ...(typeof keyVaultId === "string" && keyVaultId ? { keyVaultId } : {}),
  };
}

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
const sha256Of = (pem: string) => thumbprints(pem).sha256;
