// Builds the console into internal/console/dist, which go:embed puts in
// the binary. The output is committed; scripts/test.sh rebuilds it and
// fails when it differs from what is committed.
import * as esbuild from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "internal", "console", "dist");

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "assets"), { recursive: true });
const common = { bundle: true, minify: true, legalComments: "none", target: ["es2022"], logLevel: "warning" };
await esbuild.build({ ...common, entryPoints: [join(here, "src", "main.js")], outfile: join(out, "assets", "app.js"), format: "esm" });
await esbuild.build({ ...common, entryPoints: [join(here, "src", "style.css")], outfile: join(out, "assets", "app.css") });
await copyFile(join(here, "src", "index.html"), join(out, "index.html"));
