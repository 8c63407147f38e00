/**
 * An app role's `value` as Microsoft Graph allows it: at most 120
 * characters, letters, digits and `! # $ % & ' ( ) * + , - . / : ; < = > ?
 * @ [ ] ^ _ \` { | } ~`, no spaces, not starting with a dot
 * (https://learn.microsoft.com/graph/api/resources/approle, `value`).
 * Nothing a PEM holds whole fits; a single base64 line of a key can, which
 * is why reports are scrubbed as well (report.ts).
 */
const roleValue = /^(?!\.)[A-Za-z0-9!#$%&'()*+,\-./:;<=>?@[\]^_`{|}~]{1,120}$/;

export const isRoleValue = (value: string): boolean => roleValue.test(value);
