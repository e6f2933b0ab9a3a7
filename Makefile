# cowfs tools
#
# Targets:
#   make               build libfs.a and the commands (cowmkfs cowreplay cowfsck cowdump)
#   make check         build with -Werror, run the unit suites (Check, TAP) and the regression cases
#   make install       install commands and man pages under $(DESTDIR)$(PREFIX)
#   make clean
#
# Knobs:
#   V=1                print the command lines
#   D=1                debug build: -O0, engine invariant checks always on
#   SAN=address,undefined   build with those sanitizers (also SAN=thread)
#   TEST=GLOB          run only regression cases whose directory name matches GLOB,
#                      and only unit suites whose name matches it (e.g. TEST=0003*, TEST=disk)
#   PREFIX=/usr/local  DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
CC ?= gcc

DEPS := blkid uuid libzstd
DEPS_DEBIAN := libblkid-dev uuid-dev libzstd-dev

ifeq ($(filter clean,$(MAKECMDGOALS)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(DEPS) && echo ok),ok)
$(error missing build dependencies: pkg-config cannot find one of '$(DEPS)'; on Debian: apt-get install pkg-config $(DEPS_DEBIAN))
endif
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

OPT := -O2
ifeq ($(D),1)
OPT := -O0 -DCOWFS_DEBUG
endif

WARN := -Wall -Wextra -Werror -Werror=implicit-function-declaration -Wno-missing-field-initializers
CFLAGS ?= -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -pthread -Iinclude -Ilibfs \
	  $(shell $(PKG_CONFIG) --cflags $(DEPS)) -MMD -MP
LDLIBS += $(shell $(PKG_CONFIG) --libs $(DEPS)) -pthread -lm

ifneq ($(SAN),)
CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

# ---- the library, layer by layer (dependencies point down only) ----

UTIL_OBJS := \
	libfs/util/crc32c.o \
	libfs/util/errors.o \
	libfs/util/points.o \
	libfs/util/rbtree.o

DISK_OBJS := \
	libfs/disk/alloc.o \
	libfs/disk/ctree.o \
	libfs/disk/dev.o \
	libfs/disk/extent-buffer.o \
	libfs/disk/mkfs.o \
	libfs/disk/open.o \
	libfs/disk/probe.o \
	libfs/disk/super.o \
	libfs/disk/transaction.o \
	libfs/disk/verify.o
DISK_OBJS += libfs/disk/dump.o libfs/disk/dump-item.o libfs/disk/dump-super.o

TRACE_OBJS :=

CHECK_OBJS :=

ENGINE_OBJS :=

REPLAY_OBJS :=

LIB_OBJS := $(UTIL_OBJS) $(DISK_OBJS) $(TRACE_OBJS) $(CHECK_OBJS) $(ENGINE_OBJS) $(REPLAY_OBJS)

# ---- commands ----

CMD_COMMON := cmd/messages.o cmd/options.o
COMMANDS := cowmkfs cowdump

# ---- unit suites: each links only its layer and those below it ----

UNIT_UTIL := tests/unit/check_util
UNIT_DISK := tests/unit/check_disk
UNIT_TESTS := $(UNIT_UTIL) $(UNIT_DISK)

all: libfs.a $(COMMANDS)

libfs.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

%.o: %.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(COMMANDS): %: cmd/%.o $(CMD_COMMON) libfs.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(CMD_COMMON) libfs.a $(LDLIBS)

CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

tests/unit/%.o: tests/unit/%.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

tests/unit/check_util: tests/unit/check_util.o $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/unit/check_disk: tests/unit/check_disk.o $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

check-deps:
	@$(PKG_CONFIG) --exists check || { echo "missing test dependency: pkg-config cannot find 'check'; on Debian: apt-get install check" >&2; exit 1; }

check: check-deps all $(UNIT_TESTS)
	@LC_ALL=C ./tests/run-unit $(UNIT_TESTS)
	@LC_ALL=C ./tests/run-regress

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(COMMANDS) $(DESTDIR)$(BINDIR)/
	install -m 644 doc/*.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -f libfs.a $(COMMANDS) $(UNIT_TESTS) tests/unit/*.tap
	find . -name '*.o' -delete -o -name '*.d' -delete

.PHONY: all check check-deps install clean
.DELETE_ON_ERROR:

-include $(shell find libfs cmd tests -name '*.d' 2>/dev/null)
