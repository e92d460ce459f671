// Opens one notebook in JupyterLab in headless Chromium, runs all its cells from the Run menu,
// waits until the kernel is done, and writes what the page shows as JSON. It asserts nothing:
// scripts/browser_test.py starts the server, calls this, and judges the report.
//
//   node browser-test/lesson.mjs --url http://127.0.0.1:PORT --token TOKEN --path 02_autograd.ipynb \
//     --notebook FILE.json --report FILE.json [--screenshot FILE.png] [--focus-cell N] [--timeout SECONDS]
//
// --notebook: the notebook the browser is given instead of the file on the server (the test clears
//   the outputs, or injects a failing cell): the server's answer to the page's GET is rewritten.
//   The page can never save: every request that would write the file is blocked, and counted.
// --focus-cell: the cell scrolled to the top of the screenshot.
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    token: { type: "string" },
    path: { type: "string" },
    notebook: { type: "string" },
    report: { type: "string" },
    screenshot: { type: "string" },
    "focus-cell": { type: "string" },
    timeout: { type: "string", default: "600" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    workspace: { type: "string", default: "browser-test" },
  },
});
for (const name of ["url", "token", "path", "notebook", "report"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}
const timeoutMs = Number(args.timeout) * 1000;
const served = JSON.parse(readFileSync(args.notebook, "utf8"));
const started = Date.now();
const seconds = () => Math.round((Date.now() - started) / 100) / 10;

const report = {
  steps: [],          // [name, seconds since start]
  blockedWrites: [],  // requests that would have changed a file
  dialogs: [],        // texts of JupyterLab dialogs seen (e.g. "Select Kernel")
  pageErrors: [],     // uncaught exceptions in the page
  kernel: null,       // what the toolbar shows, and what the server runs
  cells: [],
  problem: null,      // why the driver itself stopped early, if it did
};
const step = (name) => {
  report.steps.push([name, seconds()]);
  console.log(`  [${seconds().toFixed(1).padStart(5)} s] ${name}`);
};

const api = async (path, init = {}) => {
  const response = await fetch(`${args.url}${path}`, {
    ...init,
    headers: { Authorization: `token ${args.token}`, ...(init.headers || {}) },
  });
  if (!response.ok) throw new Error(`${init.method || "GET"} ${path}: HTTP ${response.status}`);
  return response.status === 204 ? null : response.json();
};
const session = async () =>
  ((await api("/api/sessions")) || []).find((s) => s.path === args.path) || null;

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  // Chromium's sandbox needs user namespaces, which containers (and root) often do not have.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
page.on("pageerror", (error) => report.pageErrors.push(String(error).slice(0, 500)));

// The contents API is the only way the page reads or writes files: serve the prepared notebook,
// and refuse every write (autosave is off too, but this makes sure).
const contentsPath = `/api/contents/${args.path.split("/").map(encodeURIComponent).join("/")}`;
await page.route("**/api/contents/**", async (route) => {
  const request = route.request();
  const url = new URL(request.url());
  if (request.method() === "POST" && url.pathname === `${contentsPath}/checkpoints`) {
    // JupyterLab makes a checkpoint when it opens a notebook that has none: answer as the server
    // would, without writing one (the page only shows it in File > Revert).
    const checkpoint = { id: "checkpoint", last_modified: new Date().toISOString() };
    return route.fulfill({ status: 201, json: checkpoint });
  }
  if (request.method() !== "GET") {
    report.blockedWrites.push(`${request.method()} ${url.pathname}`);
    return route.abort();
  }
  if (url.pathname !== contentsPath || url.searchParams.get("content") === "0") return route.continue();
  const response = await route.fetch();
  const model = await response.json();
  if (model.type === "notebook" && model.content) model.content = served;
  return route.fulfill({ response, json: model });
});

async function visibleDialogText() {
  const dialog = page.locator(".jp-Dialog");
  return (await dialog.count()) ? (await dialog.first().innerText()).replace(/\s+/g, " ").trim() : null;
}

async function kernelState() {
  const toolbar = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName").first();
  const shown = (await toolbar.count()) ? (await toolbar.innerText()).trim() : null;
  const s = await session();
  return {
    shown,
    name: s?.kernel?.name ?? null,
    state: s?.kernel?.execution_state ?? null,
  };
}

async function pageCells() {
  return page.evaluate(() => {
    const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
    if (!panel) return [];
    return [...panel.querySelectorAll(".jp-Notebook > .jp-Cell, .jp-WindowedPanel-viewport > .jp-Cell")].map(
      (cell, index) => {
        const code = cell.classList.contains("jp-CodeCell");
        const prompt = cell.querySelector(".jp-InputArea-prompt")?.textContent.trim() ?? "";
        const outputs = [...cell.querySelectorAll(".jp-OutputArea-output")].map((out) => {
          const typed = out.matches("[data-mime-type]") ? out : out.querySelector("[data-mime-type]");
          return {
            mime: typed?.getAttribute("data-mime-type") ?? "",
            text: out.innerText.slice(0, 4000),
            images: [...out.querySelectorAll("img")].map((img) => ({
              src: img.src.slice(0, 40),
              complete: img.complete,
              width: img.naturalWidth,
              height: img.naturalHeight,
            })),
          };
        });
        return {
          index,
          type: code ? "code" : cell.classList.contains("jp-MarkdownCell") ? "markdown" : "raw",
          source: (cell.querySelector(".jp-InputArea-editor .cm-content")?.innerText ?? "").slice(0, 200),
          prompt,
          outputs,
        };
      },
    );
  });
}

async function waitFor(what, condition, limitMs, pollMs = 500) {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(limitMs / 1000)} s waiting for ${what}`);
    await page.waitForTimeout(pollMs);
  }
}

try {
  step("open JupyterLab");
  const target = `${args.url}/lab/workspaces/${args.workspace}/tree/${args.path}?reset&token=${args.token}`;
  await page.goto(target, { waitUntil: "domcontentloaded", timeout: 60_000 });
  await page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first().waitFor({ timeout: 60_000 });
  step(`notebook ${args.path} shown`);

  // The kernel: JupyterLab starts the one named in the notebook, or asks which to use.
  const kernel = await waitFor(
    "the kernel to start",
    async () => {
      const dialog = await visibleDialogText();
      if (dialog) return { dialog };
      const k = await kernelState();
      return k.name && k.state === "idle" && k.shown && k.shown !== "No Kernel" ? k : null;
    },
    180_000,
  );
  if (kernel.dialog) {
    report.dialogs.push(kernel.dialog);
    report.kernel = await kernelState();
    throw new Error(`JupyterLab did not start the notebook's kernel; it shows a dialog: ${kernel.dialog}`);
  }
  report.kernel = kernel;
  step(`kernel "${kernel.name}" is idle (toolbar shows "${kernel.shown}")`);
  if (kernel.name !== served.metadata?.kernelspec?.name) {
    throw new Error(`the notebook asks for kernel "${served.metadata?.kernelspec?.name}", the server runs "${kernel.name}"`);
  }

  // Run > Run All Cells, as a learner would.
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  step("Run > Run All Cells");

  // Done when no cell waits or runs ("[*]") and the kernel is idle, twice in a row a second apart
  // (evcxr relays a cell's stderr a moment after it says "idle").
  // Counting starts once the run has visibly begun (a cell queued, or one with a count).
  let quiet = 0;
  let started = false;
  await waitFor(
    "all cells to finish",
    async () => {
      const dialog = await visibleDialogText();
      if (dialog) {
        report.dialogs.push(dialog);
        throw new Error(`a dialog appeared while the cells ran: ${dialog}`);
      }
      const prompts = await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt").allTextContents();
      const busy = prompts.some((p) => p.includes("*"));
      started ||= busy || prompts.some((p) => /\d/.test(p));
      const { state } = await kernelState();
      quiet = started && !busy && state === "idle" ? quiet + 1 : 0;
      return quiet >= 3;
    },
    timeoutMs,
  );
  step("all cells finished");
} catch (error) {
  report.problem = String(error.message || error);
  step(`stopped: ${report.problem}`);
}

try {
  report.kernel = { ...(report.kernel || {}), ...(await kernelState()) };
  report.cells = await pageCells();
  if (args.screenshot) {
    const scrollTo = async (i) => {
      await page.evaluate((i) => {
        const cells = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell");
        cells[Math.min(i, cells.length - 1)]?.scrollIntoView({ block: "start" });
      }, i);
      await page.waitForTimeout(300);
    };
    const focus = Number(args["focus-cell"] ?? -1);
    if (focus >= 0) await scrollTo(focus);
    await page.screenshot({ path: args.screenshot });
    step(`screenshot ${args.screenshot}`);
    // Where stderr (an error, a panic) first shows, to see at a glance what went wrong.
    const first = report.cells.find((c) => c.outputs.some((o) => o.mime === "application/vnd.jupyter.stderr"));
    if (first) {
      await scrollTo(Math.max(first.index - 1, 0));
      const path = args.screenshot.replace(/\.png$/, "-first-stderr.png");
      await page.screenshot({ path });
      step(`screenshot of cell ${first.index}, the first to show stderr: ${path}`);
    }
  }
} finally {
  writeFileSync(args.report, JSON.stringify(report, null, 1));
  await browser.close();
}
