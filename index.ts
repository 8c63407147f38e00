import { CertificateApp } from "./components/certificateApp";
import { readSettings } from "./components/settings";

// The Pulumi entry: read config, build one certificate-authenticated app,
// export what a client needs. The output names are the contract verify and the rehearsal read
// (contract 4); rotationState is read back by the program itself on the next deployment.
const app = new CertificateApp("client", readSettings());

export const tenantId = app.tenantId;
export const clientId = app.clientId;
export const applicationObjectId = app.applicationObjectId;
export const servicePrincipalObjectId = app.servicePrincipalObjectId;
export const authority = app.authority;
export const scope = app.scope;
export const apiClientId = app.apiClientId;
export const expectedRoles = app.expectedRoles;
export const certificatePem = app.certificatePem;
export const privateKeyPem = app.privateKeyPem;
export const thumbprint = app.thumbprint;
export const thumbprintSha256 = app.thumbprintSha256;
export const keyId = app.keyId;
export const certificateNotAfter = app.certificateNotAfter;
export const certificatePfx = app.certificatePfx;
export const pfxPassword = app.pfxPassword;
export const attachedCertificates = app.attachedCertificates;
export const rotationState = app.rotationState;
