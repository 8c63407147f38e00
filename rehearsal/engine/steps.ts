import type { Diff } from "./provider";
import type { StepOp } from "./types";
import { containsUnknown, sameValue, type Value } from "./wire";

/**
 * pulumi/pulumi pkg/resource/deploy/step_generator.go, shouldTriggerReplace:
 * a replacementTrigger replaces only when both the old and the new trigger
 * are present and differ. A trigger that first appears, or goes away, is no
 * trigger. An unknown new trigger (a preview) may differ, so it plans a replace.
 */
export function shouldTriggerReplace(old: Value | undefined, next: Value | undefined): boolean {
  if (old === undefined || old === null || next === undefined || next === null) return false;
  // Stryker disable next-line ConditionalExpression: equivalent, sameValue is false wherever next holds an unknown; kept to say why.
  if (containsUnknown(next)) return true;
  return !sameValue(old, next);
}

export interface Decision {
  op: Exclude<StepOp, "delete" | "read">;
  keys?: string[];
}

/** What the engine does with a custom resource, given the prior state (if any), the provider's diff and the trigger. */
export function decide(hasOld: boolean, diff: Diff | undefined, triggered: boolean): Decision {
  if (!hasOld || !diff) return { op: "create" };
  if (triggered) return { op: "replace", keys: ["replacementTrigger"] };
  if (diff.replace.length > 0) return { op: "replace", keys: diff.replace };
  if (diff.changed.length > 0) return { op: "update", keys: diff.changed };
  return { op: "same" };
}

/** The qualified type of a URN: `parent$child` except directly under the stack (Pulumi's URN rules). */
export function urnOf(stack: string, project: string, parentUrn: string, type: string, name: string): string {
  let qualified = type;
  if (parentUrn) {
    // Stryker disable next-line StringLiteral: unreachable, a parent URN is always one urnOf made (four "::" parts).
    const parentQualified = parentUrn.split("::")[2] ?? "";
    const parentType = parentQualified.split("$").pop();
    if (parentType !== "pulumi:pulumi:Stack") qualified = `${parentQualified}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * Deletes in dependency order: a resource goes before anything it depends
 * on (through `dependencies` or `parent`); otherwise newest first.
 */
export function deleteOrder<T extends { urn: string; dependencies: string[]; parent: string }>(doomed: T[]): T[] {
  const left = [...doomed].reverse();
  const order: T[] = [];
  while (left.length > 0) {
    const i = left.findIndex(
      (d) => !left.some((o) => o !== d && (o.dependencies.includes(d.urn) || o.parent === d.urn)),
    );
    // A cycle cannot come from a program (dependencies are awaited), but never loop forever.
    const [next] = left.splice(Math.max(i, 0), 1);
    // Stryker disable next-line ConditionalExpression: equivalent, left is not empty so splice always returns one.
    if (next) order.push(next);
  }
  return order;
}
