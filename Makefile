# `make run` and `make test` each set up everything they need first: Debian packages, npm
# packages with their native builds (OpenCV bindings against the system OpenCV), then the
# TypeScript build. Each step is skipped when its inputs have not changed.
SHELL := /bin/bash
.DEFAULT_GOAL := run

MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
# @u4/opencv4nodejs: never download OpenCV; build against Debian's libopencv-dev. npm 11 leaves its
# install script unapproved (package.json allowScripts) and ops/setup/build-opencv4nodejs.sh
# patches and builds it; an older npm that runs the script anyway gets these settings too.
export OPENCV4NODEJS_DISABLE_AUTOBUILD := 1
export OPENCV_INCLUDE_DIR := /usr/include/opencv4
export OPENCV_LIB_DIR := /usr/lib/$(MULTIARCH)
export OPENCV_BIN_DIR := /usr/bin
export JOBS := max

STAMPS := .setup
TS_SOURCES := $(shell find drivers recognizer firmware provisioning ops test -name '*.ts' 2>/dev/null)

.PHONY: setup run test test-long build clean bench-accuracy bench-pipeline

setup: $(STAMPS)/apt $(STAMPS)/npm $(STAMPS)/opencv dist/.built

$(STAMPS)/apt: hardware/apt-packages.txt ops/setup/install-apt.sh
	@mkdir -p $(STAMPS)
	ops/setup/install-apt.sh hardware/apt-packages.txt
	@touch $@

$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/apt
	npm ci --foreground-scripts --no-audit --no-fund
	@touch $@

$(STAMPS)/opencv: $(STAMPS)/npm ops/setup/build-opencv4nodejs.sh
	ops/setup/build-opencv4nodejs.sh node_modules/@u4/opencv4nodejs
	@touch $@

dist/.built: $(STAMPS)/npm tsconfig.json $(TS_SOURCES)
	npx tsc -p tsconfig.json
	@touch $@

build: dist/.built

run: setup
	bin/sightline run --demo-hub

test: setup
	npx mocha

# The full-size runs of tests `make test` runs smaller: the store's crash loop (50 SIGKILLs, not
# 8), 500 devices reconnecting to a restarted hub (not 50), 10,000 reads through a 10 kB/s link
# (not 150; about eight minutes).
test-long: setup
	SIGHTLINE_CRASH_KILLS=50 SIGHTLINE_FLEET_DEVICES=500 SIGHTLINE_THROTTLE_READS=10000 npx mocha --grep 'SIGKILLs|fleet of|10 kB/s'

clean:
	rm -rf dist $(STAMPS)
