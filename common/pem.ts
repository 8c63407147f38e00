/** The PEM blocks in a text, in order, each from its BEGIN line to its END line. */
export const pemBlocks = (text: string): string[] =>
  text.match(/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/g) ?? [];

/** The label of a PEM block: `CERTIFICATE`, `PRIVATE KEY`, `RSA PRIVATE KEY`, ... */
export const pemLabel = (block: string): string | undefined => /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(block)?.[1];

/** A DER value as PEM with 64-character lines (RFC 7468). */
export function toPem(label: string, der: Uint8Array): string {
  const body =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${body.join("\n")}\n-----END ${label}-----\n`;
}
