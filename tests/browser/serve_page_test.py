"""The page of `vqclip serve` in a real browser (Debian's chromium, headless,
driven by chromedriver through python3-selenium): a prompt submitted from the
form, its progress bar advancing and its preview drawn from the event stream,
the finished picture appearing in the gallery with its prompt and settings, a
second job cancelled from the page and kept as it was; with --token, the page
asks for the token and then works.

Run from the source tree: python3 -m tests.browser.serve_page_test
(VQCLIP_EXE names the binary). Exits 77, saying why, where chromium,
chromedriver or selenium is missing (scripts/install-deps.sh installs them).
With VQCLIP_SCREENSHOTS=DIR it saves the screenshots the README shows."""
import os
import shutil
import sys
import tempfile
import time
import unittest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


def missing_prerequisite():
    if not CHROMIUM:
        return "chromium is not installed"
    if not CHROMEDRIVER:
        return "chromedriver is not installed (Debian: chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (Debian: python3-selenium)"
    return None


if __name__ == "__main__" and missing_prerequisite():
    print(f"skipped: {missing_prerequisite()}; scripts/install-deps.sh installs it")
    sys.exit(77)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from tests.python.test_serve import Server  # noqa: E402

PROMPT = "a red circle on a blue background"
SCREENSHOTS = os.environ.get("VQCLIP_SCREENSHOTS")


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1100,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class ServePage(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.dir.name, "out")
        self.server = None
        self.browser = start_browser()

    def tearDown(self):
        self.browser.quit()
        if self.server and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait()
        self.dir.cleanup()

    def start(self, *extra):
        self.server = Server(self.out, *extra)
        self.browser.get(self.server.base + "/")
        return self.server

    def wait(self, condition, what, timeout=120):
        try:
            return WebDriverWait(self.browser, timeout, poll_frequency=0.02).until(lambda _: condition())
        except Exception as error:
            raise AssertionError(f"timed out waiting for {what}; page status: {self.text('status')!r}") from error

    def text(self, element_id):
        return self.browser.find_element(By.ID, element_id).text

    def fill(self, values):
        for element_id, value in values.items():
            field = self.browser.find_element(By.ID, element_id)
            field.clear()
            field.send_keys(str(value))
        self.browser.find_element(By.ID, "submit").click()

    def progress(self):
        return self.browser.execute_script(
            "const p = document.getElementById('progress');"
            "return document.getElementById('current').hidden ? null :"
            " [Number(p.value), Number(p.max), document.getElementById('current-id').textContent];")

    def figure(self, job_id):
        found = self.browser.find_elements(By.CSS_SELECTOR, f"#gallery figure[data-id='{job_id}']")
        return found[0] if found else None

    def screenshot(self, name):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            self.browser.save_screenshot(os.path.join(SCREENSHOTS, name))

    def assert_no_script_errors(self):
        errors = [entry for entry in self.browser.get_log("browser") if entry["level"] == "SEVERE"]
        self.assertEqual(errors, [], "the page logged errors")

    def test_render_with_live_progress_then_cancel_a_second_job(self):
        server = self.start("--max-steps", "2000")
        self.wait(lambda: "tiny-shapes" in self.text("model"), "the model's name")
        self.fill({"prompt": PROMPT, "steps": 150, "seed": 7, "cutn": 8})

        # Progress: the bar follows the running job's events, step by step.
        seen = []
        while True:
            figure = self.figure("1")
            if figure is not None:
                break
            state = self.progress()
            if state and state[2] == "1" and (not seen or state[0] != seen[-1]):
                seen.append(state[0])
                if len(seen) == 5:
                    self.screenshot("serve-rendering.png")
            time.sleep(0.01)
            self.assertLess(len(seen), 10_000)
        self.assertGreaterEqual(len(seen), 3, f"progress values seen: {seen}")
        self.assertEqual(seen, sorted(seen), "the bar went backwards")
        self.assertTrue(all(0 <= step <= 150 for step in seen), seen)

        # The finished picture, loaded, with its prompt and settings.
        self.wait(lambda: self.browser.execute_script(
            "const i = document.querySelector(\"#gallery figure[data-id='1'] img\");"
            "return i !== null && i.complete && i.naturalWidth > 0;"), "the picture to load")
        image_size = self.browser.execute_script(
            "const i = document.querySelector(\"#gallery figure[data-id='1'] img\");"
            "return [i.naturalWidth, i.naturalHeight];")
        _, _, job = server.json("GET", "/api/jobs/1")
        self.assertEqual(job["state"], "done")
        self.assertEqual(image_size, [job["width"], job["height"]])
        caption = self.figure("1").text
        self.assertIn(PROMPT, caption)
        self.assertIn("seed 7", caption)
        self.assertIn("150/150 steps", caption)
        self.assertIn("8 cutouts", caption)
        self.assertIn("DONE", caption.upper())

        # A second job, cancelled from the page while it runs: kept as it was.
        self.fill({"prompt": "a green square", "steps": 2000, "seed": 8})
        self.wait(lambda: (self.progress() or [0, 0, ""])[2] == "2" and self.progress()[0] >= 3,
                  "the second job to run")
        self.assertTrue(self.browser.find_element(By.ID, "preview").get_attribute("src").startswith(
            "data:image/png;base64,"), "no preview from the event stream")
        self.browser.find_element(By.ID, "cancel").click()
        self.wait(lambda: self.figure("2") is not None, "the cancelled job in the gallery")
        self.assertIn("cancelled", self.figure("2").text.lower())
        _, _, cancelled = server.json("GET", "/api/jobs/2")
        self.assertEqual(cancelled["state"], "cancelled")
        self.assertLess(cancelled["step"], 2000)
        self.assertTrue(os.path.exists(os.path.join(self.out, cancelled["file"])))
        self.wait(lambda: self.browser.execute_script(
            "const i = document.querySelector(\"#gallery figure[data-id='2'] img\");"
            "return i !== null && i.complete && i.naturalWidth > 0;"), "the cancelled picture to load")
        self.assertIn("nothing waiting", self.text("queue"))
        self.screenshot("serve-gallery.png")
        self.assert_no_script_errors()

    def test_the_page_asks_for_the_token_and_then_works(self):
        server = self.start("--token", "s3cret")
        self.wait(lambda: self.browser.find_element(By.ID, "token-form").is_displayed(), "the token form")
        self.assertIn("needs a token", self.text("status"))
        self.browser.find_element(By.ID, "token").send_keys("s3cret")
        self.browser.find_element(By.CSS_SELECTOR, "#token-form button").click()
        self.wait(lambda: "nothing waiting" in self.text("queue"), "the queue with the token")
        self.fill({"prompt": PROMPT, "steps": 5, "seed": 3, "cutn": 4})
        self.wait(lambda: self.browser.execute_script(
            "const i = document.querySelector(\"#gallery figure[data-id='1'] img\");"
            "return i !== null && i.complete && i.naturalWidth > 0;"), "the picture, fetched with the token")
        self.assertEqual(server.json("GET", "/api/jobs/1")[0], 401, "the API must still need the token")


if __name__ == "__main__":
    unittest.main()
