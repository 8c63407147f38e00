import { constants, createHash, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { actions, dataActionsOf, grants, isRoleName, roleNames } from "../../keyvault/rbac";
import { isSignAlgorithm, signDigest } from "../../keyvault/sign";

describe("signing a digest as Key Vault's sign operation does", () => {
  const keys = [2048, 3072].map((bits) => generateKeyPairSync("rsa", { modulusLength: bits }));
  const input = Buffer.from("header.claims");

  it.each([
    ["PS256", "sha256", 32],
    ["PS384", "sha384", 48],
    ["PS512", "sha512", 64],
  ] as const)(
    "%s: RSASSA-PSS over the given digest, salt as long as the hash, for 2048 and 3072-bit keys",
    (alg, hash, saltLength) => {
      for (const { privateKey, publicKey } of keys) {
        const digest = createHash(hash).update(input).digest();
        const signature = signDigest(privateKey, alg, digest);
        expect(
          verify(hash, input, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature),
        ).toBe(true);
        // The salt is random: two signatures differ, both verify.
        expect(signDigest(privateKey, alg, digest).equals(signature)).toBe(false);
      }
    },
  );

  it.each([
    ["RS256", "sha256"],
    ["RS384", "sha384"],
    ["RS512", "sha512"],
  ] as const)("%s: RSASSA-PKCS1-v1_5 over the given digest, deterministic", (alg, hash) => {
    const { privateKey, publicKey } = keys[0] ?? generateKeyPairSync("rsa", { modulusLength: 2048 });
    const digest = createHash(hash).update(input).digest();
    const signature = signDigest(privateKey, alg, digest);
    expect(verify(hash, input, publicKey, signature)).toBe(true);
    expect(signature.equals(signDigest(privateKey, alg, digest))).toBe(true);
  });

  it("refuses a digest of the wrong length for the algorithm with 400 BadParameter", () => {
    const { privateKey } = keys[0] ?? generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect(() => signDigest(privateKey, "PS256", Buffer.alloc(48))).toThrow(
      expect.objectContaining({ status: 400, code: "BadParameter" }),
    );
  });
});

describe("the built-in roles' dataActions", () => {
  it.each([
    ["Key Vault Crypto User", actions.keySign, true],
    ["Key Vault Crypto User", actions.keyRead, true],
    ["Key Vault Crypto User", actions.certificateRead, false],
    ["Key Vault Crypto User", actions.secretGet, false],
    ["Key Vault Certificates Officer", actions.certificateCreate, true],
    ["Key Vault Certificates Officer", actions.certificatePurge, true],
    ["Key Vault Certificates Officer", actions.certificateUpdate, true],
    ["Key Vault Certificates Officer", actions.certificateRecover, true],
    ["Key Vault Certificates Officer", actions.keyRead, false],
    ["Key Vault Certificates Officer", actions.keySign, false],
    ["Key Vault Certificates Officer", actions.secretGet, false],
    ["Key Vault Certificate User", actions.certificateRead, true],
    ["Key Vault Certificate User", actions.keyRead, true],
    ["Key Vault Certificate User", actions.secretGet, true],
    ["Key Vault Certificate User", actions.keySign, false],
    ["Key Vault Certificate User", actions.certificateCreate, false],
    ["Key Vault Certificate User", actions.certificateUpdate, false],
    ["Key Vault Reader", actions.certificateRead, true],
    ["Key Vault Reader", actions.keyRead, true],
    ["Key Vault Reader", actions.keySign, false],
    ["Key Vault Reader", actions.secretGet, false],
    ["Key Vault Secrets User", actions.secretGet, true],
    ["Key Vault Secrets User", actions.certificateRead, false],
    ["Key Vault Administrator", actions.keySign, true],
    ["Key Vault Administrator", actions.secretGet, true],
  ] as const)("%s may %s: %s", (role, action, allowed) => {
    expect(grants([role], action)).toBe(allowed);
  });

  it("grants nothing without a role, and defines every role it names", () => {
    expect(Object.values(actions).some((a) => grants([], a))).toBe(false);
    expect(Object.keys(dataActionsOf).sort()).toEqual([...roleNames].sort());
  });
});

describe("the sign operation's algorithms and digests", () => {
  it("knows the six RSA algorithms by their own names only", () => {
    for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
      expect(isSignAlgorithm(alg), alg).toBe(true);
    for (const alg of ["ES256", "rs256", "toString", "hasOwnProperty", "", 256, undefined, ["RS256"]])
      expect(isSignAlgorithm(alg), String(alg)).toBe(false);
  });

  it("says in its refusal which length the algorithm wants and which it got", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect(() => signDigest(privateKey, "RS384", Buffer.alloc(32))).toThrow(
      "Invalid length of 'value': 32 bytes. RS384 requires 48 bytes, encoded with base64url.",
    );
  });
});

describe("the built-in roles as Azure defines them", () => {
  const v = "Microsoft.KeyVault/vaults";
  it("grants each role exactly the dataActions of its built-in role definition", () => {
    expect(dataActionsOf).toEqual({
      "Key Vault Administrator": [`${v}/*`],
      "Key Vault Certificates Officer": [
        `${v}/certificatecas/*`,
        `${v}/certificates/*`,
        `${v}/certificatecontacts/write`,
      ],
      "Key Vault Certificate User": [
        `${v}/certificates/read`,
        `${v}/keys/read`,
        `${v}/secrets/getSecret/action`,
        `${v}/secrets/readMetadata/action`,
      ],
      "Key Vault Crypto User": [
        `${v}/keys/read`,
        `${v}/keys/update/action`,
        `${v}/keys/backup/action`,
        `${v}/keys/encrypt/action`,
        `${v}/keys/decrypt/action`,
        `${v}/keys/wrap/action`,
        `${v}/keys/unwrap/action`,
        `${v}/keys/sign/action`,
        `${v}/keys/verify/action`,
      ],
      "Key Vault Reader": [`${v}/*/read`, `${v}/secrets/readMetadata/action`],
      "Key Vault Secrets User": [`${v}/secrets/getSecret/action`, `${v}/secrets/readMetadata/action`],
    });
  });

  it("checks each operation by its dataAction as Key Vault's resource provider names it", () => {
    expect(actions).toEqual({
      certificateRead: `${v}/certificates/read`,
      certificateCreate: `${v}/certificates/create/action`,
      certificateDelete: `${v}/certificates/delete`,
      certificatePurge: `${v}/certificates/purge/action`,
      certificateUpdate: `${v}/certificates/update/action`,
      certificateRecover: `${v}/certificates/recover/action`,
      keyRead: `${v}/keys/read`,
      keySign: `${v}/keys/sign/action`,
      secretGet: `${v}/secrets/getSecret/action`,
    });
  });
});

describe("how a role's dataAction patterns match", () => {
  it("knows the six built-in roles by name, and nothing else", () => {
    for (const role of roleNames) expect(isRoleName(role), role).toBe(true);
    for (const other of ["Owner", "Key Vault administrator", "", null])
      expect(isRoleName(other), String(other)).toBe(false);
  });

  it("matches an action without regard to case, as Azure compares them", () => {
    expect(grants(["Key Vault Crypto User"], actions.keySign.toLowerCase())).toBe(true);
  });

  it("matches the whole action: no text before or after it, and a dot only where the pattern has one", () => {
    expect(grants(["Key Vault Crypto User"], `x/${actions.keySign}`)).toBe(false);
    expect(grants(["Key Vault Crypto User"], `${actions.keySign}/x`)).toBe(false);
    expect(grants(["Key Vault Administrator"], actions.keySign.replace("Microsoft.", "MicrosoftX"))).toBe(false);
  });

  it("lets * stand for one or more path segments, never for none", () => {
    expect(grants(["Key Vault Reader"], "Microsoft.KeyVault/vaults/keys/versions/read")).toBe(true);
    expect(grants(["Key Vault Reader"], "Microsoft.KeyVault/vaults//read")).toBe(false);
    expect(grants(["Key Vault Administrator"], "Microsoft.KeyVault/vaults/")).toBe(false);
  });
});
