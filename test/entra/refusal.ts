import { expect } from "vitest";
import { DirectoryError } from "../../entra/directory";

/** The DirectoryError a check throws, as [code, message]; a check that passes gives undefined. */
export function refusal(check: () => void): [string, string] | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(DirectoryError);
    return [(err as DirectoryError).code, (err as DirectoryError).message];
  }
}

/** Graph's refusal of a property's value. */
export const invalid = (property: string, resource: string): [string, string] => [
  "Request_BadRequest",
  `Invalid value specified for property '${property}' of resource '${resource}'.`,
];
