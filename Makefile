# make lab        set up (with JupyterLab) and open the notebooks: http://127.0.0.1:$(PORT)
# make test       everything CI runs: scripts/test.sh
# make setup      install what the notebooks need (scripts/setup.sh)
# make notebooks  re-run every notebook and write its outputs back (the committed outputs)
# make figures    redraw the README's pictures in img/ from the lessons' code

PORT ?= 8888
# Open a browser only where there is a display to open it on.
NO_BROWSER := $(if $(or $(DISPLAY),$(WAYLAND_DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser)
# Jupyter refuses to run as root (as in many containers) unless told.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test setup notebooks figures

lab:
	bash scripts/setup.sh --lab
	.venv/bin/jupyter lab --ServerApp.root_dir=notebooks --ip=127.0.0.1 --port=$(PORT) $(NO_BROWSER) $(ALLOW_ROOT)

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

notebooks: setup
	.venv/bin/python scripts/run_notebooks.py --update

figures:
	cargo run --release --features plot --example figures -- img

# make bench        time one training step of autograd-core (bench/README.md)
# make bench-torch  the same cases in PyTorch and NumPy, side by side with the Rust numbers
#                   (needs torch: BENCH_PYTHON=path/to/venv/bin/python, see bench/README.md)
# make reference    rewrite PyTorch's traces in autograd-core/tests/reference/ with the pinned
#                   torch of bench/requirements.txt (scripts/make_reference.py; make test never
#                   needs torch: the traces are committed)
# make bench-peers  one table: autograd-core, candle, burn (bench/peers, built on first use),
#                   PyTorch, NumPy and the memory-bandwidth limit, all from the same run
BENCH_PYTHON ?= .venv-bench/bin/python

.PHONY: bench bench-torch bench-peers reference

bench:
	cargo bench -p autograd-core --bench training_step

bench-torch:
	$(BENCH_PYTHON) bench/compare_torch.py --with-rust

reference:
	$(BENCH_PYTHON) scripts/make_reference.py

bench-peers:
	cargo build --release --manifest-path bench/peers/Cargo.toml
	$(BENCH_PYTHON) bench/compare_torch.py --with-peers

# make kit           the classroom kit in kit/: student copies without solutions, HTML exports,
#                    index.html (scripts/make_kit.py; README "For teachers")
# make browser-test  open lesson 02 in JupyterLab in headless Chromium, run all, check the page
#                    (scripts/browser_test.py); SCREENSHOT=1 also writes img/jupyterlab_lesson02.png

.PHONY: kit browser-test

kit:
	@[ -x .venv/bin/python ] || bash scripts/setup.sh
	.venv/bin/python scripts/make_kit.py

browser-test: setup
	.venv/bin/python scripts/browser_test.py --self-test $(if $(filter 1,$(SCREENSHOT)),--screenshot)

# make first-minute  a student opens lesson 02, reads for 15 s, then runs its first three cells;
#                    and Run All right away: with and without the kernel's head start, alternated
#                    (scripts/first_minute.py; README "For teachers")
.PHONY: first-minute

first-minute: setup
	.venv/bin/python scripts/first_minute.py --rounds 4

# make hub        one JupyterHub for a class on this Debian server, as root (hub/hub.sh; README
#                 "For teachers"): installs into HUB_PREFIX (/opt/autograd-hub), makes an
#                 account per name in HUB_CLASS (a class list file, if given), starts the hub on
#                 127.0.0.1:HUB_PORT (8000), or on :443 with HUB_HTTPS=FOLDER (the school's
#                 fullchain.pem and privkey.pem); HUB_TEACHER=NAME also makes NAME's nbgrader
#                 course (README "Assignments on the hub")
# make hub-stop   stop it (and the students' servers)
# make hub-load   the load test: 1, 4, 8 and 16 simulated students at once on a hub of its own
#                 (scripts/test_hub.sh; HUB_LOAD="1 4" for other sizes)

.PHONY: hub hub-stop hub-load

hub:
	bash hub/hub.sh install
	$(if $(HUB_CLASS),bash hub/hub.sh users $(HUB_CLASS))
	$(if $(HUB_TEACHER),bash hub/hub.sh teacher $(HUB_TEACHER))
	bash hub/hub.sh start

hub-stop:
	bash hub/hub.sh stop

HUB_LOAD ?= 1 4 8 16
hub-load:
	bash scripts/test_hub.sh $(HUB_LOAD)
