#!/usr/bin/env node
import { runMain } from "../common/cli";
import { verifyCommand } from "./command";

runMain(verifyCommand);
