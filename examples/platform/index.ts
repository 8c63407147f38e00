import * as pulumi from "@pulumi/pulumi";
// The package by its own name: inside this repository Node and TypeScript resolve it to the package's `exports`
// (dist/components/library.js, built by `npm run build`); in a program of your own, after `npm install entra-cert-auth`.
import { CertificateClients, clientsOf, defaults } from "entra-cert-auth";

// A platform team's stack: one companion API exposing three roles, three workloads each granted only its own.
const config = new pulumi.Config();
const workloads = clientsOf(
  {
    orders: { roles: ["Orders.Read", "Orders.Write"] },
    billing: { roles: ["Orders.Read"] },
    audit: { roles: ["Audit.Read"], validityDays: 90 },
  },
  {
    ...defaults,
    displayName: "platform",
    apiRoles: ["Orders.Read", "Orders.Write", "Audit.Read"],
    authorityHost: config.get("authorityHost") ?? defaults.authorityHost,
  },
);
if (!workloads) throw new Error("the platform declares its workloads above");

const platform = new CertificateClients("platform", workloads);

// Exported as `clients`: each workload's outputs (secrets kept secret) under its name, which is where the next
// deployment reads each one's rotation memory and where `verify --all-clients` finds them.
export const clients = platform.outputs;
