/** One named check and its outcome, as reported. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
export const fail = (name: string, detail: string): Check => ({ name, ok: false, detail });
