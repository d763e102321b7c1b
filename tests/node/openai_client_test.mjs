// The official OpenAI client library (npm "openai", pinned in package.json)
// pointed at `vqclip serve`, unchanged: images.generate in both response
// formats and models.list, with a token the way the library sends its API key.
// Usage: node openai_client_test.mjs VQCLIP_EXE BUNDLE_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import OpenAI from "openai";

const [exe, bundle] = process.argv.slice(2);
const outDir = mkdtempSync(join(tmpdir(), "vqclip-openai-"));
const server = spawn(exe, ["serve", "--listen", "127.0.0.1:0", "--out-dir", outDir, "--models", bundle,
                           "--threads", "1", "--token", "sk-test-token"], { stdio: ["ignore", "pipe", "inherit"] });

const baseURL = await new Promise((resolve, reject) => {
  server.stdout.once("data", (chunk) => {
    const found = /listening on (http:\/\/\S+)/.exec(chunk.toString());
    found ? resolve(found[1]) : reject(new Error(`no address in ${chunk}`));
  });
  server.once("exit", (code) => reject(new Error(`vqclip serve exited with ${code}`)));
});

try {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "sk-test-token", maxRetries: 0 });

  const models = await client.models.list();
  assert.equal(models.data[0].id, "tiny-shapes");

  const b64 = await client.images.generate({
    prompt: "a red circle on a blue background", n: 2, size: "64x64", response_format: "b64_json",
    steps: 4, cutn: 4, seed: 7,
  });
  assert.equal(typeof b64.created, "number");
  assert.equal(b64.data.length, 2);
  for (const image of b64.data) {
    const png = Buffer.from(image.b64_json, "base64");
    assert.equal(png.subarray(1, 4).toString(), "PNG");
  }

  const byUrl = await client.images.generate({ prompt: "a green square", steps: 3, cutn: 4 });
  const response = await fetch(byUrl.data[0].url, { headers: { Authorization: "Bearer sk-test-token" } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "image/png");

  const wrongKey = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
  await assert.rejects(wrongKey.models.list(), (error) => error.status === 401);
  await assert.rejects(client.images.generate({ prompt: "x", n: 99 }),
                       (error) => error.status === 400 && /n:/.test(error.message));
  console.log("openai client: models.list, images.generate (b64_json, url) and the errors behave");
} finally {
  server.kill("SIGTERM");
  rmSync(outDir, { recursive: true, force: true });
}
