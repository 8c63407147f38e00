import { constants, type KeyObject, sign, verify } from "node:crypto";

/**
 * RS256 and PS256 compact JWS, signed and verified with node's callback
 * crypto, which runs in libuv's thread pool: the RSA work of one request
 * overlaps the TLS and parsing of others, so a 2-core machine uses both
 * cores. (jose's sign and verify run on the main thread.)
 * Algorithms per RFC 7518 section 3.3 (RS256) and 3.5 (PS256: salt = hash length).
 */
const options = (alg: "RS256" | "PS256", key: KeyObject) =>
  alg === "PS256"
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, padding: constants.RSA_PKCS1_PADDING };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Signs `payload` under `header` (which must name `alg: "RS256"`). */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject) {
  const input = `${b64(header)}.${b64(payload)}`;
  return new Promise<string>((resolve, reject) =>
    sign("sha256", Buffer.from(input), options("RS256", key), (err, signature) =>
      err ? reject(err) : resolve(`${input}.${signature.toString("base64url")}`),
    ),
  );
}

/** Resolves to the payload bytes of a compact JWS whose signature `key` verifies, else rejects. */
export function verifyJws(token: string, alg: "RS256" | "PS256", key: KeyObject): Promise<Buffer> {
  const [header, payload, signature, ...rest] = token.split(".");
  if (rest.length > 0 || payload === undefined || signature === undefined)
    return Promise.reject(new Error("not a compact JWS"));
  const data = Buffer.from(`${header}.${payload}`);
  return new Promise<Buffer>((resolve, reject) => {
    try {
      verify("sha256", data, options(alg, key), Buffer.from(signature, "base64url"), (err, ok) =>
        err || !ok ? reject(err ?? new Error("signature mismatch")) : resolve(Buffer.from(payload, "base64url")),
      );
    } catch (err) {
      reject(err);
    }
  });
}
