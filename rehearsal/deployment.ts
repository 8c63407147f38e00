import { fork } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../common/root";
import type { DeployJob, DeployMessage } from "./deploy";

/** A failed deployment; a config error means nothing was created. */
export class DeploymentError extends Error {
  readonly code = "ERR_DEPLOYMENT";
  constructor(
    message: string,
    readonly configError: boolean,
  ) {
    super(message);
    this.name = "DeploymentError";
  }
}

/** Runs one deployment in a child process and relays its messages. */
export function runDeployment(job: DeployJob, onMessage: (m: DeployMessage) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // The child runs the TypeScript program through tsx, from the sources even when this file runs from dist/.
    // cwd is the project root, where `--import tsx` resolves.
    const root = projectRoot(__dirname);
    const child = fork(join(root, "rehearsal", "deploy.ts"), [], {
      cwd: root,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let failure: DeploymentError | undefined;
    let done = false;
    let stderr = "";
    child.stderr?.on("data", (c) => (stderr += c));
    child.on("message", (m: DeployMessage) => {
      if (m.kind === "failed") failure = new DeploymentError(m.message, m.configError);
      if (m.kind === "done") done = true;
      onMessage(m);
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (failure) reject(failure);
      else if (done && code === 0) resolve();
      // stderr is not relayed: a crash message could carry program values.
      else
        reject(
          new DeploymentError(
            `the deployment process ended with code ${code}${stderr ? " (it printed an error; run with the program's tests to see it)" : ""}`,
            false,
          ),
        );
    });
    child.send(job);
  });
}
