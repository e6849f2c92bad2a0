"""The slice sliders in a real browser: JupyterLab, headless Chromium, notebook 01 in the smoke profile.

Starts ``jupyter lab`` on a free local port (stopped at the end), opens a copy of notebook 01, runs all
cells from JupyterLab's Run menu, presses the right-arrow key on the first slice slider and checks that
the image above it changes. JupyterLab replaces an output's elements when it redraws, so every check
finds its elements again and treats a stale one as "not yet". Notebook windowing is switched off in
the test's own settings folder, so no cell is detached while scrolled away. Run All waits for the server to report
the notebook's kernel idle; a dialog JupyterLab shows (a kernel prompt on a loaded machine) is accepted; when cells
stay queued and none runs, all cells are run once more; a cell's
error fails the test at once, and every failure names the prompts, the dialogs and the server's log. Skips where Chromium, its
driver or Selenium is missing (``.ci/run`` installs them, so CI runs it).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (Debian: apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(DRIVER is None, reason="no chromedriver (Debian: apt-get install chromium-driver)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(predicate, timeout: float, what: str, every: float = 0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _kernel_idle(url: str, token: str) -> bool:
    """True once the server holds a session for notebook 01 whose kernel is idle: a Run All sent before the kernel
    is ready can leave every cell queued and none run."""
    try:
        with urllib.request.urlopen(f"{url}/api/sessions?token={token}", timeout=5) as r:
            sessions = json.load(r)
    except OSError:
        return False
    return any(s.get("path", "").endswith("01_data_preparation.ipynb") and s.get("kernel")
               and s["kernel"].get("execution_state") == "idle" for s in sessions)


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free port serving a copy of notebook 01; yields its URL and token."""
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (pip install -e .[dev])")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "01_data_preparation.ipynb", tmp_path / "notebooks")
    port, token = _free_port(), "ivan-browser-test"
    log = open(tmp_path / "jupyterlab.log", "wb")
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, "IVAN_PROFILE": "smoke", "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path / 'notebooks'}",
         "--ServerApp.open_browser=False", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, cwd=tmp_path / "notebooks", stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready():
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                return r.status == 200
        except OSError:
            return server.poll() is not None  # stop waiting if it died

    try:
        _wait_until(ready, 90, "JupyterLab to start")
        assert server.poll() is None, "JupyterLab exited:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:]
        yield url, token, tmp_path / "jupyterlab.log"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_moving_a_slice_slider_redraws_the_image(lab):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[dev])")
    from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, token, server_log = lab
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    try:
        browser.get(f"{url}/lab/tree/01_data_preparation.ipynb?token={token}")
        _wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), 120, "the notebook")
        _wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator"), 60,
                    "the kernel indicator")
        _wait_until(lambda: _kernel_idle(url, token), 120, "the notebook's kernel to start (the server's sessions)")

        def started():  # a cell shows an execution count or "[*]"
            prompts = browser.find_elements(By.CSS_SELECTOR, ".jp-Cell .jp-InputPrompt")
            return any(p.text.strip() not in ("", "[ ]:") for p in prompts)

        dialogs = []  # what JupyterLab asked before the run (e.g. a kernel prompt on a loaded machine): accepted

        def accept_dialogs():
            for dialog in browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog"):
                dialogs.append(dialog.text)
                buttons = dialog.find_elements(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept")
                if buttons:
                    buttons[0].click()
                else:
                    dialog.send_keys(Keys.ESCAPE)

        for attempt in range(5):  # a click before the kernel is ready can be lost: run all again until cells start
            menu = _wait_until(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")
                                        if e.text == "Run"], 30, "the Run menu")
            try:
                menu[0].click()
            except ElementClickInterceptedException:  # a dialog is in front of the menu
                accept_dialogs()
                if attempt == 4:
                    raise AssertionError(f"JupyterLab kept showing dialogs: {dialogs}") from None
                continue
            _wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "li[data-command='runmenu:run-all']"),
                        10, "Run All Cells")[0].click()
            try:
                _wait_until(started, 30, "the cells to start")
                break
            except AssertionError:
                if attempt == 4:
                    raise
        def ran():  # a cell shows an execution count: the kernel has run something
            prompts = browser.find_elements(By.CSS_SELECTOR, ".jp-Cell .jp-InputPrompt")
            return any(p.text.strip()[1:-2].isdigit() for p in prompts)

        def errors() -> list[str]:
            """The text of every error output shown (a traceback or an ``...Error`` line; progress bars are not)."""
            found = []
            for output in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type*='stderr']"):
                try:
                    text = output.text
                except StaleElementReferenceException:
                    continue
                if "Traceback" in text or re.search(r"^\w+Error\b", text, re.MULTILINE):
                    found.append(text)
            return found

        def state() -> str:
            """What the page and the server show, for a failure message."""
            prompts = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".jp-Cell .jp-InputPrompt")]
            kernel = [e.get_attribute("title") or e.text
                      for e in browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")]
            return (f"prompts {prompts}; kernel indicator {kernel}; dialogs {dialogs}; errors {errors()}\n"
                    f"JupyterLab log (end):\n{server_log.read_text(errors='replace')[-3000:]}")

        def slider_or_failure():
            """The slider handles once they are drawn; accepts dialogs meanwhile (JupyterLab may ask for a kernel
            after Run All) and fails at once on a cell's error."""
            accept_dialogs()
            if found := errors():
                raise AssertionError(f"a cell failed: {found[0][-2000:]}\n{state()}")
            return browser.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")

        try:
            _wait_until(slider_or_failure, 120, "a slice slider")
        except AssertionError as exc:
            if "a cell failed" in str(exc):
                raise
            if ran():
                raise AssertionError(f"{exc}\n{state()}") from None
            # Cells were queued but none ran (the kernel's start was lost): run all once more.
            browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
            menu = [e for e in browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel") if e.text == "Run"]
            menu[0].click()
            _wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "li[data-command='runmenu:run-all']"),
                        10, "Run All Cells")[0].click()
            try:
                _wait_until(slider_or_failure, 240, "a slice slider after running all cells a second time")
            except AssertionError as again:
                if "a cell failed" in str(again):
                    raise
                raise AssertionError(f"{again}\n{state()}") from None

        def slider_cell():
            """The first slice slider's handle and the cell around it, found afresh."""
            handle = browser.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")[0]
            return handle, handle.find_element(By.XPATH, "./ancestor::div[contains(@class, 'jp-Cell')][1]")

        def fresh(read):
            """``read(handle, cell)`` on elements found now; None while JupyterLab is replacing them."""
            def check():
                try:
                    return read(*slider_cell())
                except (StaleElementReferenceException, IndexError):
                    return None
            return check

        def image(handle, cell):
            imgs = cell.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
            return imgs[0].get_attribute("src") if imgs else None

        def readout(handle, cell):
            return cell.find_element(By.CSS_SELECTOR, ".widget-readout").text

        before = _wait_until(fresh(image), 60, "the slice image")
        start = _wait_until(fresh(readout), 30, "the slider readout")
        handle, _ = slider_cell()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
        handle.click()
        handle.send_keys(Keys.ARROW_RIGHT)
        _wait_until(fresh(lambda h, c: readout(h, c) not in (None, start)), 30, "the slider to move")
        after = _wait_until(fresh(lambda h, c: (src := image(h, c)) != before and src), 60,
                            "the image to be redrawn")
        assert after.startswith("data:image/png") and after != before
    finally:
        browser.quit()
