# Vigie — top-level driver around CMake. See README.md.
#   make          build (release with debug info) into build/
#   make run      install missing packages, build, start the agent on a demo directory
#   make test     unit + end-to-end tests, then the same under ASan/UBSan
#   make bench    benchmarks against AIDE, sha256sum, openssl, inotifywait
#   make fuzz     libFuzzer on every parser, FUZZ_SECONDS each (needs clang)
#   make install  PREFIX=/usr/local DESTDIR=
PREFIX  ?= /usr/local
DESTDIR ?=
JOBS    ?= $(shell nproc)
BUILD   ?= build
ASAN    ?= build-asan
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 60

.PHONY: all build asan deps run test test-release test-asan bench fuzz install clean format

all: build

# install-deps is quiet and fast when everything is present.
deps:
	@./scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

$(ASAN)/CMakeCache.txt:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DVIGIE_SANITIZE=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

asan: deps $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j $(JOBS)

run: build
	./scripts/run-demo $(BUILD)

test: test-release test-asan

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run $(BUILD)

fuzz: deps
	./scripts/fuzz -t $(FUZZ_SECONDS)

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')

clean:
	rm -rf $(BUILD) $(ASAN)
