import { InputError } from "./errors";
import type { ClientCertificate } from "./inputs";

/** A PKCS#12 (PFX) file's certificate and key. */
export async function readPfx(_bytes: Buffer, what: string, _password: string): Promise<ClientCertificate> {
  throw new InputError(`${what} is not PEM, and PFX is not read yet`);
}
