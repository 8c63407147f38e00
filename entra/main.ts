#!/usr/bin/env node
import { runMain } from "../common/cli";
import { entraCommand } from "./command";

runMain(entraCommand());
