# The two commands of the README: `make test` and `make run`.
# Both install the Debian packages they need (sudo when not root, nothing when present),
# configure with CMake and build with -j2.

BUILD_DIR ?= build
JOBS      ?= 2
# Debian 12 packages the build, the tests and the demo need.
DEB_PACKAGES := cmake make g++ pkg-config ccache \
	libpoco-dev libsqlite3-dev libssl-dev openssl libqrencode-dev libpng-dev \
	libpugixml-dev libfmt-dev libgtest-dev libkainjow-mustache-dev libzbar-dev libjpeg-dev \
	libxml2-utils zbar-tools chromium fonts-noto-cjk nginx

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps configure build test run clean

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

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

run: build
	./$(BUILD_DIR)/einvoice demo --fixtures fixtures/demo --data var/demo

clean:
	rm -rf $(BUILD_DIR)
