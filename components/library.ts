/**
 * The package's library entry (`import { CertificateApp } from "entra-cert-auth"`): the component, the
 * many-clients component over one API, and their argument and output types, for Pulumi TypeScript programs of
 * their own. The project's own program (index.ts) is built from the same parts.
 */
export { companionApi, existingApi, type ResourceApi } from "./api";
export {
  type AttachedCertificate,
  CertificateApp,
  type CertificateAppArgs,
  type PreviousOutput,
} from "./certificateApp";
export { type ClientSettings, type Clients, clientKeys, clientsOf, readClientsConfig } from "./clientSettings";
export { type AppOutputs, appOutputNames, CertificateClients, clientsOutput, outputsOfApp } from "./clients";
export { defaults, type Settings } from "./defaults";
export { ConfigError } from "./errors";
export type { Generation, RotationState } from "./rotation";
export { readSettings } from "./settings";
