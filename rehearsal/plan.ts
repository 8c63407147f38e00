import type { StepEvent } from "./engine";

const shortType = (type: string) => type.split(":").pop() ?? type;

/** One step as `pulumi preview` lists it: op, type, name. */
export const stepLine = (s: Pick<StepEvent, "op" | "type" | "name">) =>
  `  ${s.op.padEnd(7)} ${shortType(s.type)} ${s.name}`;

/** "2 to create, 1 to replace, 4 unchanged", in the CLI's order. */
export function planSummary(steps: Pick<StepEvent, "op">[]): string {
  const count = (op: StepEvent["op"]) => steps.filter((s) => s.op === op).length;
  const parts = [
    ["create", "to create"],
    ["update", "to update"],
    ["replace", "to replace"],
    ["delete", "to delete"],
    ["read", "to read"],
    ["same", "unchanged"],
  ] as const;
  const text = parts.filter(([op]) => count(op) > 0).map(([op, label]) => `${count(op)} ${label}`);
  return text.length > 0 ? text.join(", ") : "no resources";
}
