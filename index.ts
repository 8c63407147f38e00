import { CertificateApp } from "./components/certificateApp";
import { readSettings } from "./components/settings";

// The Pulumi entry: read config, build one certificate-authenticated app,
// export what a client needs. The output names are the contract verify and the rehearsal read;
// rotationState is read back by the program itself on the next deployment. In Key Vault mode
// privateKeyPem, certificatePfx and pfxPassword are undefined and the keyVault* ids are set; outside it the
// reverse. An undefined export is no stack output at all (@pulumi/pulumi runtime/stack.ts, massage, which
// also warns once per run that it "will not show as a stack output").
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
export const keyVaultKeyId = app.keyVaultKeyId;
export const keyVaultCertificateId = app.keyVaultCertificateId;
export const keyVaultSecretId = app.keyVaultSecretId;
export const attachedCertificates = app.attachedCertificates;
export const rotationState = app.rotationState;
