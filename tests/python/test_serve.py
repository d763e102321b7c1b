"""`vqclip serve` as a client meets it, over real HTTP on loopback: a job's
life through the jobs API and its event stream (steps increase, a final event
always comes), the picture equal to the command line's for the same options
and seed, a CLIP-only bundle's default drawer for a job that names none and
a 400 for one that names the VQGAN's, the OpenAI images API's shapes, errors
as JSON with their codes, limits, cancelling, a full queue, auth, and a
restart that keeps finished jobs and runs the queued ones."""
import base64
import io
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import numpy as np
from PIL import Image

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny-shapes")
QUICK = {"prompt": "a red circle on a blue background", "steps": 6, "seed": 5, "cutn": 4}


class Server:
    def __init__(self, out_dir, *extra, bundle=BUNDLE):
        self.process = subprocess.Popen(
            [os.environ["VQCLIP_EXE"], "serve", "--listen", "127.0.0.1:0", "--out-dir", out_dir, "--models", bundle,
             "--threads", "1", "--preview-every", "2", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "listening on http://" not in line:
            self.process.kill()
            raise AssertionError(f"no address: {line!r} {self.process.stderr.read()}")
        self.base = line.split("listening on ")[1].split()[0]
        self.headers = {}

    def request(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method, path, body=None, raw=None):
        status, headers, content = self.request(method, path, body, raw)
        return status, headers, json.loads(content) if content else None

    def events(self, job_id):
        """The job's events as (type, data) until the stream ends."""
        request = urllib.request.Request(f"{self.base}/api/jobs/{job_id}/events", headers=self.headers)
        found, event = [], {}
        with urllib.request.urlopen(request, timeout=120) as response:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if not line:
                    if event:
                        found.append((event["event"], json.loads(event["data"])))
                    event = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(": ")
                    event[key] = value
        return found

    def wait_state(self, job_id, states, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, _, job = self.json("GET", f"/api/jobs/{job_id}")
            if job["state"] in states:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} never reached {states}")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return self.process.returncode, err


def pixels(png_bytes):
    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))


class Serve(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.dir.name, "out")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            if server.process.poll() is None:
                server.process.kill()
                server.process.communicate()
        self.dir.cleanup()

    def start(self, *extra, out=None, bundle=BUNDLE):
        server = Server(out or self.out, *extra, bundle=bundle)
        self.servers.append(server)
        return server

    def meta(self, picture):
        """`vqclip meta --json` of a picture, as text."""
        run = subprocess.run([os.environ["VQCLIP_EXE"], "meta", picture, "--json"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout

    def test_a_job_streams_its_progress_and_makes_the_command_lines_picture(self):
        server = self.start()
        self.assertEqual(server.json("GET", "/healthz")[2]["status"], "ok")
        status, headers, job = server.json("POST", "/api/jobs", QUICK)
        self.assertEqual(status, 201, job)
        self.assertEqual(headers["Location"], f"/api/jobs/{job['id']}")
        events = server.events(job["id"])
        types = [kind for kind, _ in events]
        self.assertEqual(types[-1], "done")
        steps = [data["step"] for kind, data in events if kind == "progress"]
        self.assertEqual(steps, sorted(steps))
        self.assertEqual(steps[-1], QUICK["steps"])
        previews = [data for kind, data in events if kind == "preview"]
        self.assertTrue(previews and previews[0]["image"].startswith("data:image/png;base64,"))
        done = events[-1][1]
        self.assertEqual((done["state"], done["seed"], done["step"]), ("done", 5, 6))

        status, headers, served = server.request("GET", f"/api/jobs/{job['id']}/image")
        self.assertEqual((status, headers["Content-Type"]), (200, "image/png"))
        cli_png = os.path.join(self.dir.name, "cli.png")
        subprocess.run([os.environ["VQCLIP_EXE"], "-p", QUICK["prompt"], "--steps", "6", "--seed", "5", "--cutn", "4",
                        "--models", BUNDLE, "--threads", "1", "-q", "-o", cli_png], check=True)
        with open(cli_png, "rb") as f:
            np.testing.assert_array_equal(pixels(served), pixels(f.read()))
        listed = server.json("GET", "/api/jobs")[2]
        self.assertEqual([j["id"] for j in listed["jobs"]], [job["id"]])
        with open(os.path.join(self.out, "manifest.jsonl")) as f:
            self.assertEqual(json.loads(f.readline())["file"], done["file"])
        # A finished job's stream is its final event alone.
        self.assertEqual([kind for kind, _ in server.events(job["id"])], ["done"])
        self.assertEqual(server.stop()[0], 0)

    def test_a_clip_only_bundle_draws_with_its_default_drawer_and_refuses_the_vqgans(self):
        # A CLIP-only copy of the bundle: its default drawer is pixels.
        bundle = os.path.join(self.dir.name, "clip-only")
        shutil.copytree(BUNDLE, bundle)
        with open(os.path.join(bundle, "vqclip.json")) as f:
            manifest = json.load(f)
        manifest["version"] = 2
        del manifest["vqgan"]
        manifest["files"] = {name: digest for name, digest in manifest["files"].items() if not name.startswith("vqgan")}
        with open(os.path.join(bundle, "vqclip.json"), "w") as f:
            json.dump(manifest, f)
        server = self.start(bundle=bundle)
        for body, drawer in [(QUICK, "pixels"), ({**QUICK, "drawer": None}, "pixels"),
                             ({**QUICK, "drawer": "pixel-art"}, "pixel-art")]:
            status, _, job = server.json("POST", "/api/jobs", body)
            self.assertEqual(status, 201, job)
            done = server.wait_state(job["id"], {"done", "failed"})
            self.assertEqual(done["state"], "done", done)
            generation = json.loads(self.meta(os.path.join(self.out, done["file"])))["record"]["generation"]
            self.assertEqual(generation["drawer"], drawer, body)
        # A drawer the bundle lacks is refused at once, not queued to fail.
        for path in ("/api/jobs", "/v1/images/generations"):
            status, _, answer = server.json("POST", path, {**QUICK, "drawer": "vqgan"})
            self.assertEqual(status, 400, answer)
            self.assertIn("no VQGAN", answer["error"]["message"])
        self.assertEqual(len(server.json("GET", "/api/jobs")[2]["jobs"]), 3, "no job was made for them")

    def test_bad_requests_are_json_errors_with_their_codes(self):
        server = self.start("--max-steps", "50", "--max-body", "2K", "--max-pixels", "2048")
        cases = [
            (dict(raw=b"{not json"), 400, "not JSON"),
            (dict(body={**QUICK, "stepz": 3}), 400, "stepz: unknown field"),
            (dict(body={**QUICK, "steps": 51}), 400, "--max-steps 50"),
            (dict(body={**QUICK, "steps": "many"}), 400, "steps"),
            (dict(body={**QUICK, "cutn": 0}), 400, "cutn"),
            (dict(body={**QUICK, "perceptors": [{"bundle": "/etc", "weight": 1}]}), 400, "names files on the server"),
            (dict(body={**QUICK, "init_image": "not base64!"}), 400, "init_image: not valid base64"),
            (dict(body={**QUICK, "size": "big"}), 400, "size"),
            # The size drawn, not the size asked: the bundle's 64x64 when none is asked, a second pass's.
            (dict(body=QUICK), 400, "4096 pixels, the picture's, is more than this server's --max-pixels 2048"),
            (dict(body={**QUICK, "size": "32x32", "hires_scale": 2}), 400, "the second pass's"),
            (dict(raw=json.dumps({**QUICK, "prompt": "x" * 4000}).encode()), 413, "--max-body"),
        ]
        for request, code, part in cases:
            status, _, answer = server.json("POST", "/api/jobs", **request)
            self.assertEqual(status, code, (request, answer))
            self.assertIn(part, answer["error"]["message"])
            self.assertIn("type", answer["error"])
        self.assertEqual(server.json("GET", "/api/jobs/99")[0], 404)
        self.assertEqual(server.json("GET", "/no/such/thing")[0], 404)
        self.assertEqual(server.json("GET", "/api/jobs")[2]["jobs"], [], "no job was made")

    def test_openai_images_api_shapes(self):
        server = self.start()
        models = server.json("GET", "/v1/models")[2]
        self.assertEqual(models["object"], "list")
        self.assertEqual(models["data"][0]["id"], "tiny-shapes")
        status, _, answer = server.json("POST", "/v1/images/generations",
                                        {"prompt": "a green square", "n": 2, "size": "64x64",
                                         "response_format": "b64_json", "steps": 4, "cutn": 4, "seed": 11,
                                         "model": "whatever", "user": "someone"})
        self.assertEqual(status, 200, answer)
        self.assertIsInstance(answer["created"], int)
        self.assertEqual(len(answer["data"]), 2)
        pictures = [pixels(base64.b64decode(item["b64_json"])) for item in answer["data"]]
        self.assertEqual(pictures[0].shape, (64, 64, 3))
        self.assertFalse(np.array_equal(pictures[0], pictures[1]), "two seeds, two pictures")
        status, _, answer = server.json("POST", "/v1/images/generations",
                                        {"prompt": "a green square", "steps": 3, "cutn": 4})
        self.assertEqual(status, 200, answer)
        url = answer["data"][0]["url"]
        with urllib.request.urlopen(url, timeout=60) as response:
            self.assertEqual(pixels(response.read()).shape[2], 3)
        for body, part in [({"prompt": "x", "n": 9}, "n:"), ({"n": 1}, "prompt"),
                           ({"prompt": "x", "response_format": "gif"}, "response_format")]:
            status, _, answer = server.json("POST", "/v1/images/generations", body)
            self.assertEqual(status, 400, answer)
            self.assertIn(part, answer["error"]["message"])

    def test_cancel_a_running_and_a_queued_job_and_a_full_queue(self):
        server = self.start("--max-queue", "1")
        long = {**QUICK, "steps": 1000}
        running = server.json("POST", "/api/jobs", long)[2]
        server.wait_state(running["id"], {"running"})
        queued = server.json("POST", "/api/jobs", long)[2]
        status, headers, answer = server.json("POST", "/api/jobs", long)
        self.assertEqual(status, 429, answer)
        self.assertIn("Retry-After", headers)
        self.assertEqual(server.json("DELETE", f"/api/jobs/{queued['id']}")[2]["state"], "cancelled")
        self.assertEqual(server.json("DELETE", f"/api/jobs/{running['id']}")[0], 200)
        final = server.events(running["id"])[-1]
        self.assertEqual(final[0], "cancelled")
        self.assertLess(final[1]["step"], 1000)
        # The picture so far is kept, its record saying it stopped.
        self.assertIn('"stopped"', self.meta(os.path.join(self.out, final[1]["file"])))

    def test_token_auth_and_loopback_only_without_one(self):
        server = self.start("--token", "s3cret")
        status, headers, answer = server.json("GET", "/api/jobs")
        self.assertEqual(status, 401)
        self.assertEqual(answer["error"]["type"], "authentication_error")
        self.assertEqual(server.json("GET", "/healthz")[0], 200)
        server.headers = {"Authorization": "Bearer s3cret"}
        self.assertEqual(server.json("GET", "/api/jobs")[0], 200)
        refused = subprocess.run([os.environ["VQCLIP_EXE"], "serve", "--listen", "0.0.0.0:0", "--models", BUNDLE],
                                 capture_output=True, text=True, timeout=60)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("--token", refused.stderr)

    def test_a_restart_lists_finished_jobs_and_runs_queued_ones(self):
        server = self.start()
        finished = server.json("POST", "/api/jobs", QUICK)[2]
        server.wait_state(finished["id"], {"done"})
        interrupted = server.json("POST", "/api/jobs", {**QUICK, "steps": 400})[2]
        waiting = server.json("POST", "/api/jobs", {**QUICK, "seed": 6})[2]
        server.wait_state(interrupted["id"], {"running"})
        code, err = server.stop()
        self.assertEqual(code, 0, err)
        again = self.start()
        states = {job["id"]: job["state"] for job in again.json("GET", "/api/jobs")[2]["jobs"]}
        self.assertEqual(states[finished["id"]], "done")
        self.assertEqual(again.wait_state(interrupted["id"], {"done"})["step"], 400)
        self.assertEqual(again.wait_state(waiting["id"], {"done"})["seed"], 6)
        self.assertEqual(again.json("POST", "/api/jobs", QUICK)[2]["id"], "4", "numbering goes on")


if __name__ == "__main__":
    unittest.main()
