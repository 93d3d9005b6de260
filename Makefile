# opengov - GNU make. Targets: all check run stop bench soak cluster-test clean unit lint-openapi schema compile_commands.json
# `make SANITIZE=address,undefined` builds into build/san with the sanitizers on.

CC      ?= cc
PKGS    := libpq jansson libjwt fcgi libargon2 libcrypto xlsxwriter libcurl libxxhash
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 $(CFLAGS) $(WARN) -D_GNU_SOURCE -I. -Iinclude $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm

ifeq ($(strip $(SANITIZE)),)
BUILD   := build/rel
BINDIR  := bin
else
BUILD   := build/san
BINDIR  := build/san/bin
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

MAIN_SRC := src/main.c
# The layers (docs/architecture.md): src/base, src/db, src/domain (and its
# calendar/), src/server, then api/ on top; src/main.c the executable.
LIB_SRCS := $(wildcard src/base/*.c src/db/*.c src/domain/*.c src/domain/*/*.c src/server/*.c api/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS)) $(BUILD)/gen/migrations.o $(BUILD)/gen/seeds.o
MAIN_OBJ := $(BUILD)/src/main.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
SQL     := $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
SEED_SQL := $(sort $(wildcard sql/seed/*.sql))

.PHONY: all check run stop bench soak clean unit bootstrap lint-openapi schema
.DELETE_ON_ERROR:

all: $(BINDIR)/opengov build/rel/tests/fcgi-ceiling compile_commands.json

# Objects are linked directly, not through an archive: every one is needed,
# and an ar archive keys members by file name alone.
$(BINDIR)/opengov: $(MAIN_OBJ) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c $(wildcard include/opengov/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Migrations are compiled in, so one executable carries its schema.
$(BUILD)/gen/migrations.c: $(SQL) scripts/embed-sql.sh
	@mkdir -p $(@D)
	scripts/embed-sql.sh $(SQL) > $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The seed scripts (sql/seed/*.sql), compiled in the same way.
$(BUILD)/gen/seeds.c: $(SEED_SQL) scripts/embed-sql.sh
	@mkdir -p $(@D)
	scripts/embed-sql.sh --text $(SEED_SQL) > $@

$(BUILD)/gen/seeds.o: $(BUILD)/gen/seeds.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS) -lcmocka

# test_workcal replaces db_exec with its own fake database.
$(BUILD)/tests/test_workcal: LDFLAGS += -Wl,--wrap=db_exec

build/rel/tests/fcgi-ceiling: tests/bench/fcgi-ceiling.c src/server/fcgiconn.c include/opengov/server/fcgiconn.h
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 $(WARN) -D_GNU_SOURCE -Iinclude -o $@ $(filter %.c,$^) -lfcgi

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

bootstrap:
	@scripts/bootstrap.sh

# openapi.yaml against tests/contract/redocly.yaml with the pinned @redocly/cli
# (tests/contract); any error or warning fails.
lint-openapi: bootstrap
	scripts/lint-openapi.sh

# The contract lint, unit tests plain and under ASan/UBSan, then the API suite
# through nginx against the sanitizer build of the server on a throwaway stack.
# The builds and the fuzz smoke run CHECK_JOBS at a time (default: the
# cores), unless make itself was given -j; -Otarget keeps each job's output
# together.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CHECK_J := $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(CHECK_JOBS)) -Otarget
check: bootstrap
	scripts/lint-openapi.sh
	$(MAKE) $(CHECK_J) all unit
	$(MAKE) $(CHECK_J) SANITIZE=address,undefined unit build/san/bin/opengov
	$(MAKE) $(CHECK_J) fuzz-smoke
	OPENGOV_BIN=build/san/bin/opengov scripts/check.sh

# sql/schema.sql again: what the migrations make of an empty database
# (scripts/schema-dump.sh; make check fails while it is out of date).
schema: all
	scripts/schema-dump.sh

run: bootstrap
	$(MAKE) all
	scripts/stack.sh start var $${OPENGOV_PORT:-8080}
	@scripts/stack.sh banner var

stop:
	scripts/stack.sh stop var

bench: bootstrap
	$(MAKE) all
	scripts/bench.sh

# Minutes of mixed load on its own stack (var/soak) while PostgreSQL restarts
# and a worker is killed; SOAK_SECONDS sets the length. Not part of check.
soak: bootstrap
	$(MAKE) all
	scripts/soak.sh

# Several machines on this one (docs/deployment.md): etcd, two PostgreSQL
# nodes under Patroni, two opengov hosts, nginx; kills a host, then the
# primary, under load, and checks that no acknowledged write was lost.
# Not part of check (about a minute and a half; as root, installs patroni
# and etcd-server when missing).
.PHONY: cluster-test
cluster-test: bootstrap
	scripts/cluster-bootstrap.sh
	$(MAKE) all
	scripts/cluster-test.sh

compile_commands.json: $(LIB_SRCS) $(MAIN_SRC) $(UNIT_SRCS)
	@{ echo '['; sep=''; for f in $^; do \
	  printf '%s{"directory":"%s","file":"%s","command":"%s %s -c %s"}\n' "$$sep" "$(CURDIR)" "$$f" "$(CC)" "$(ALL_CFLAGS)" "$$f"; sep=','; \
	  done; echo ']'; } > $@

clean:
	rm -rf build bin compile_commands.json

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), one per hand-written parser,
# built with clang under ASan/UBSan into build/fuzz. `make fuzz` runs each for
# FUZZ_SECONDS from its committed seed corpus (tests/fuzz/corpus/<harness>),
# copied to build/fuzz/run/<harness> first so that a run never dirties the
# tree; what a run finds (crash-*, leak-*, timeout-*) is left there too.
# `make check` runs each for FUZZ_SMOKE_SECONDS (fuzz-smoke).
.PHONY: fuzz fuzz-build fuzz-smoke
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang, unlike gcc, warns of {0}-style partial initialisers: not a bug here.
FUZZ_CFLAGS := -std=c17 -O1 -g $(FUZZ_SAN) $(WARN) -Wno-missing-field-initializers -D_GNU_SOURCE -I. -Iinclude $(PKG_CFLAGS)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_BINS := $(addprefix $(FUZZ_BUILD)/,$(FUZZ_NAMES))
FUZZ_ALL_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(LIB_SRCS)) \
	$(FUZZ_BUILD)/gen/migrations.o $(FUZZ_BUILD)/gen/seeds.o
# The objects a harness links: the few it needs when listed here, else all
# of src/ and api/ (those that reach struct req, the router or the database).
FUZZ_OBJS_fuzz_filetype := base/filetype
FUZZ_OBJS_fuzz_base64url := base/base64url
FUZZ_OBJS_fuzz_cursor := base/cursor base/base64url
FUZZ_OBJS_fuzz_utf8 := base/validate base/msg base/log base/auth base/base64url base/pwlist
FUZZ_OBJS_fuzz_json_depth := base/validate base/msg base/log base/auth base/base64url base/pwlist
FUZZ_OBJS_fuzz_datetime := base/validate base/msg base/log base/auth base/base64url base/pwlist domain/calendar/calendar
FUZZ_OBJS_fuzz_jwt := base/auth base/base64url base/pwlist base/validate base/msg base/log
# The upload harness serves the file back from a fake database.
FUZZ_LDFLAGS_fuzz_upload := -Wl,--wrap=db_exec_binary
fuzz_objs = $(if $(FUZZ_OBJS_$(1)),$(patsubst %,$(FUZZ_BUILD)/src/%.o,$(FUZZ_OBJS_$(1))),$(FUZZ_ALL_OBJS))

$(FUZZ_BUILD)/%.o: %.c $(wildcard include/opengov/*/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_BINS): $(FUZZ_BUILD)/%: tests/fuzz/%.c $$(call fuzz_objs,$$*) $(wildcard tests/fuzz/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(FUZZ_LDFLAGS_$*) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# One harness: a fresh copy of its corpus, then FUZZ_TIME seconds.
# ASAN_OPTIONS: leaks are bugs here (unlike the server, nothing is killed).
define fuzz_run
	@rm -rf $(FUZZ_BUILD)/run/$(1) && mkdir -p $(FUZZ_BUILD)/run/$(1)/corpus
	@cp tests/fuzz/corpus/$(1)/* $(FUZZ_BUILD)/run/$(1)/corpus/
	@echo "== $(1) ($(2) s)"
	@cd $(FUZZ_BUILD)/run/$(1) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ../../$(1) -max_total_time=$(2) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  $(if $(wildcard tests/fuzz/$(1).dict),-dict=$(CURDIR)/tests/fuzz/$(1).dict) \
	  corpus >log.txt 2>&1 || { tail -n 60 log.txt; exit 1; }
	@grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added' \
	  $(FUZZ_BUILD)/run/$(1)/log.txt | tr '\n' ' '; echo

endef

fuzz: bootstrap fuzz-build
	$(foreach f,$(FUZZ_NAMES),$(call fuzz_run,$(f),$(FUZZ_SECONDS)))

# One target per harness, so that `make -j` runs them side by side (each
# still gets its FUZZ_SMOKE_SECONDS).
FUZZ_SMOKES := $(addprefix fuzz-smoke-,$(FUZZ_NAMES))
.PHONY: $(FUZZ_SMOKES)
fuzz-smoke: $(FUZZ_SMOKES)

$(FUZZ_SMOKES): fuzz-smoke-%: $(FUZZ_BUILD)/%
	$(call fuzz_run,$*,$(FUZZ_SMOKE_SECONDS))

-include $(shell find build -name '*.d' 2>/dev/null)
