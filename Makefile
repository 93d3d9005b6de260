# opengov - GNU make. Targets: all check run stop bench clean unit lint-openapi compile_commands.json
# `make SANITIZE=address,undefined` builds into build/san with the sanitizers on.

CC      ?= cc
PKGS    := libpq jansson libjwt fcgi libargon2 libcrypto xlsxwriter
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 $(CFLAGS) $(WARN) -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS)
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
LIB_SRCS := $(filter-out $(MAIN_SRC),$(wildcard src/*.c)) $(wildcard api/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS)) $(BUILD)/gen/migrations.o $(BUILD)/gen/seeds.o
MAIN_OBJ := $(BUILD)/src/main.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
SQL     := $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
SEED_SQL := $(sort $(wildcard sql/seed/*.sql))

.PHONY: all check run stop bench clean unit bootstrap lint-openapi
.DELETE_ON_ERROR:

all: $(BINDIR)/opengov build/rel/tests/fcgi-ceiling compile_commands.json

# Objects are linked directly, not through an archive: src/calendar.c and
# api/calendar.c would be one member "calendar.o" in an ar archive.
$(BINDIR)/opengov: $(MAIN_OBJ) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c $(wildcard include/opengov/*.h)
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

build/rel/tests/fcgi-ceiling: tests/bench/fcgi-ceiling.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 $(WARN) -o $@ $< -lfcgi

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
check: bootstrap
	scripts/lint-openapi.sh
	$(MAKE) all unit
	$(MAKE) SANITIZE=address,undefined unit build/san/bin/opengov
	OPENGOV_BIN=build/san/bin/opengov scripts/check.sh

run: bootstrap
	$(MAKE) all
	scripts/stack.sh start var $${OPENGOV_PORT:-8080}
	@scripts/stack.sh banner var

stop:
	scripts/stack.sh stop var

bench: bootstrap
	$(MAKE) all
	scripts/bench.sh

compile_commands.json: $(LIB_SRCS) $(MAIN_SRC) $(UNIT_SRCS)
	@{ echo '['; sep=''; for f in $^; do \
	  printf '%s{"directory":"%s","file":"%s","command":"%s %s -c %s"}\n' "$$sep" "$(CURDIR)" "$$f" "$(CC)" "$(ALL_CFLAGS)" "$$f"; sep=','; \
	  done; echo ']'; } > $@

clean:
	rm -rf build bin compile_commands.json

-include $(shell find build -name '*.d' 2>/dev/null)
