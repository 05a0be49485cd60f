# rpod: build, install, test, benchmark.
TAGS   := exclude_graphdriver_btrfs containers_image_openpgp
GO     ?= go
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)

.PHONY: all build install vet test fuzz bench clean

all: build

# BIN: where build puts rpod; EXTRA_TAGS, GOFLAGS_RPOD, LDFLAGS: more for its go build.
BIN ?= bin/rpod

# The init step's C compiler and flags (cmd/rpod-init, runtime/step).
CC          ?= cc
STEP_CFLAGS ?= -O2 -Wall -Wextra -Wno-format-truncation

# The container init step is built alone first (cmd/rpod-init: runtime/step,
# in C, static) and appended to rpod with a stamp both builds share, so that
# rpod never runs an init from another build (runtime/initbin). A plain go
# build has none: rpod re-executes itself, and runs the step it links in.
# rpod itself is a light build (the rpodlight tag: no containers/image
# transfer code, 4 ms less to start) carrying the full one before its init
# step, which runs pulls and the transfer commands (internal/fullrpod).
# The light build is linked statically, with Go's own user and host name
# lookups (a static binary cannot load glibc's name service modules; users
# from LDAP or sssd are asked of getent: internal/account): the dynamic
# loader took 1-3 ms of every start (bench/README.md, session 16).
build:
	@set -e; stamp=$$(date +%s%N)-$$$$; tmp=$(BIN).$$$$; \
	ld="$(LDFLAGS) -X github.com/rpod/rpod/runtime/initbin.Stamp=$$stamp"; \
	$(CC) $(STEP_CFLAGS) -static -s -Iruntime/step -o $$tmp.init cmd/rpod-init/main.c runtime/step/*.c; \
	$(GO) build -tags "$(TAGS) $(EXTRA_TAGS)" $(GOFLAGS_RPOD) -ldflags "$$ld" -o $$tmp.full ./cmd/rpod; \
	$(GO) build -tags "$(TAGS) rpodlight osusergo netgo $(EXTRA_TAGS)" $(GOFLAGS_RPOD) \
	  -ldflags "$$ld -linkmode external -extldflags -static" -o $$tmp ./cmd/rpod; \
	f=$$(stat -c %s $$tmp.full); n=$$(stat -c %s $$tmp.init); \
	{ cat $$tmp.full; printf 'RPODFULL%016d' "$$f"; cat $$tmp.init; printf '%s' "$$stamp"; printf 'RPODINIT%016d%04d' "$$n" "$${#stamp}"; } >>$$tmp; \
	rm -f $$tmp.init $$tmp.full; mv -f $$tmp $(BIN)

# rpod is written in one large write, not copied as install(1) copies (128
# KiB at a time): the kernel then keeps it in the page cache in large
# folios, as the linker leaves a fresh build, and each start maps a folio
# per page fault instead of 16 pages. On a virtual machine that shadows page
# tables that is 2-4 ms of every command (7-9 ms before rpod was a light
# build: bench/README.md, session 12).
# Renamed into place, so that a running rpod keeps its old file.
install: build
	@dest=$(DESTDIR)$(PREFIX)/bin/rpod; install -d "$${dest%/*}" && \
	dd if=bin/rpod of="$$dest.new" bs=64M status=none && chmod 0755 "$$dest.new" && mv -f "$$dest.new" "$$dest" && \
	echo "installed $$dest"
	@unitdir=$(DESTDIR)$(PREFIX)/$(if $(filter 0,$(shell id -u)),lib,share)/systemd/user; \
	for u in contrib/systemd/*.service; do \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' $$u | install -D -m 0644 /dev/stdin $$unitdir/$${u##*/} && echo "installed $$unitdir/$${u##*/}"; \
	done
	@if [ "$$(id -u)" = 0 ]; then \
	  install -d $(DESTDIR)$(PREFIX)/lib/systemd/user-generators && \
	  ln -sfn ../../../bin/rpod $(DESTDIR)$(PREFIX)/lib/systemd/user-generators/rpod-user-generator && \
	  echo "installed $(DESTDIR)$(PREFIX)/lib/systemd/user-generators/rpod-user-generator (Quadlet files, see README)"; \
	else \
	  echo "not installed: the systemd user generator for Quadlet files (systemd runs user generators only from system directories: make install as root)"; \
	fi

# go vet with the tags: plain `go vet ./...` compiles containers/storage's
# btrfs driver and containers/image's gpgme signing, which need C headers
# rpod does not use (libbtrfs-dev, libgpgme-dev). Go has no per-module tags.
vet:
	$(GO) vet -tags "$(TAGS)" ./...
	$(GO) build -tags "$(TAGS) rpodlight" -o /dev/null ./cmd/rpod # the light build (make build); its stubs have no tests
	$(GO) vet -tags "guest $(TAGS)" ./tests/guest
	$(CC) $(STEP_CFLAGS) -Werror -fsyntax-only -Iruntime/step cmd/rpod-init/main.c runtime/step/*.c

# Unit tests, short fuzz runs and the end-to-end suite. As root it installs
# what the suite needs and runs it as an unprivileged user (see tests/run.sh).
test: vet
	bash tests/run.sh

# Longer fuzzing of every parser: make fuzz FUZZTIME=5m
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) bash tests/fuzz.sh

# Every benchmark, then a summary of issue 9's goals (see bench/README.md).
# One of them, or a quick sanity run: make bench BENCH=startup ARGS=-quick
BENCH ?= all
bench:
	bash bench/run.sh $(BENCH) $(ARGS)

clean:
	rm -rf bin
