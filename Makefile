# The two commands of the README: `make test` and `make run`.
# Both install the Debian packages they need (sudo when not root, nothing when present),
# configure with CMake and build with -j2.
#
# `make test` runs the suite twice, in build/ (gcc) and in build-asan/ (clang with ASan and
# UBSan), then each fuzz target briefly. `make fuzz` runs each fuzz target for FUZZ_SECONDS
# (tests/fuzz/README.md).

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= 2
FUZZ_SECONDS       ?= 60
FUZZ_BRIEF_SECONDS ?= 10
FUZZ_TARGETS := $(patsubst tests/fuzz/%_fuzz.cc,%,$(wildcard tests/fuzz/*_fuzz.cc))
# Debian 12 packages the build, the tests and the demo need.
DEB_PACKAGES := cmake make g++ pkg-config ccache \
	libpoco-dev libsqlite3-dev libssl-dev openssl libqrencode-dev libpng-dev \
	libpugixml-dev libfmt-dev libgtest-dev libkainjow-mustache-dev libzbar-dev libjpeg-dev \
	libxml2-utils zbar-tools chromium fonts-noto-cjk nginx \
	clang libclang-rt-14-dev llvm python3 python3-cryptography \
	libpango1.0-dev libcairo2-dev fonts-wqy-microhei poppler-utils python3-aiosmtpd \
	golang-go golang-golang-x-mod-dev etcd-server
# nginx: the production profile's test. clang, libclang-rt-14-dev (the ASan/UBSan/libFuzzer
# runtimes, which --no-install-recommends leaves out) and llvm (llvm-symbolizer, for stack
# traces with file and line): build-asan. python3-cryptography: the tests' independent Alipay signer.
# pango and cairo: invoices as PDF, in WenQuanYi Micro Hei (a TrueType CJK font: cairo 1.16
# leaks 0.8 KB per embedded font per PDF when it subsets OpenType/CFF fonts such as Noto CJK); poppler-utils (pdftotext, pdftoppm) reads them back in tests;
# python3-aiosmtpd: the real SMTP relay of the e-mail delivery tests. golang-go and
# golang-golang-x-mod-dev: the reference transparency-log code (sumdb/note, sumdb/tlog) that
# checks our checkpoints and tiles (tests/interop). etcd-server: the authority group's coordination
# (tests/cluster/group_test.cc starts a real three-member etcd cluster).

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps configure build test run clean asan-configure asan-build asan-test fuzz fuzz-brief fuzz-seeds

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# playwright-core for the browser tests, pinned by tests/browser/package-lock.json.
tests/browser/node_modules/playwright-core: tests/browser/package.json tests/browser/package-lock.json | deps
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

configure: deps tests/browser/node_modules/playwright-core
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEINVOICE_WERROR=ON \
		$$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The sanitizer build: clang, ASan + UBSan everywhere, the libFuzzer targets in $(ASAN_DIR)/fuzz.
# -O1 -g and no NDEBUG: what the sanitizers' documentation recommends, and quicker to build.
asan-configure: deps
	@CC=clang CXX=clang++ cmake -S . -B $(ASAN_DIR) -DEINVOICE_SANITIZE=ON -DEINVOICE_WERROR=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
		$$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >/dev/null

asan-build: asan-configure
	@cmake --build $(ASAN_DIR) -j $(JOBS)

# The whole suite under ASan/UBSan (browser tests and Bench.Smoke included).
SANITIZER_ENV := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp
asan-test: asan-build
	cd $(ASAN_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

fuzz: asan-build
	@tests/fuzz/run.sh $(ASAN_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-brief: asan-build
	@tests/fuzz/run.sh $(ASAN_DIR) $(FUZZ_BRIEF_SECONDS) $(FUZZ_TARGETS)

# Rewrites tests/fuzz/corpus from fixtures/ (commit the result).
fuzz-seeds: asan-build
	rm -rf tests/fuzz/corpus
	$(SANITIZER_ENV) $(ASAN_DIR)/fuzz/fuzz_seed_gen . tests/fuzz/corpus

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory asan-test fuzz-brief

run: build
	./$(BUILD_DIR)/einvoice demo --fixtures fixtures/demo --data var/demo

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
