#!/usr/bin/env node
import { runMain } from "../common/cli";
import { keyVaultCommand } from "./command";

runMain(keyVaultCommand());
