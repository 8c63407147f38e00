import { unexpected } from "../common/errors";
import { runAction } from "./action";

// The Action's entry (action.yml `runs.main`, bundled to action/dist/index.mjs): the runner starts it with node.
runAction({ env: process.env, stdout: process.stdout }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runAction reports every failure itself; this is a bug's last line, and names only the error's kind.
    process.stdout.write(`::error title=entra-cert-auth verify::${unexpected(err)}\n`);
    process.exitCode = 1;
  },
);
