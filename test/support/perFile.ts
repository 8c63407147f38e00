import { afterAll } from "vitest";
import { framelessPulumiStacks } from "./pulumiStacks";
import { removeTracked } from "./tempFolders";

// A setup file runs for every test file, also where files share a worker's modules (isolate: false), so the
// cleanup is registered per file; a module-level afterAll in a shared helper would be registered only once.
afterAll(removeTracked);
framelessPulumiStacks();
