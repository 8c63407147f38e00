import { runAction } from "./action";

// The Action's entry (action.yml `runs.main`, bundled to action/dist/index.js): the runner starts it with node.
runAction({ env: process.env, stdout: process.stdout }).then((code) => {
  process.exitCode = code;
});
