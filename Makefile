# rpod: build, install, test, benchmark.
TAGS   := exclude_graphdriver_btrfs containers_image_openpgp
GO     ?= go
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)

.PHONY: all build install vet test fuzz bench clean

all: build

build:
	$(GO) build -tags "$(TAGS)" -o bin/rpod ./cmd/rpod

install: build
	install -D -m 0755 bin/rpod $(DESTDIR)$(PREFIX)/bin/rpod
	@echo "installed $(DESTDIR)$(PREFIX)/bin/rpod"
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
	$(GO) vet -tags "guest $(TAGS)" ./tests/guest

# Unit tests, short fuzz runs and the end-to-end suite. As root it installs
# what the suite needs and runs it as an unprivileged user (see tests/run.sh).
test: vet
	bash tests/run.sh

# Longer fuzzing of every parser: make fuzz FUZZTIME=5m
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) bash tests/fuzz.sh

bench:
	bash bench/run.sh

clean:
	rm -rf bin
