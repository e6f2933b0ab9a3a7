# cowfs tools
#
# Targets:
#   make               build libfs.a and the commands (cowmkfs cowreplay cowfsck cowdump)
#   make demo          run the main job end to end on the bundled data
#   make check         build with -Werror, run the unit suites (Check, TAP) and the regression cases
#   make check-valgrind  the unit suites under valgrind (slow; CI runs it)
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
DISK_OBJS += libfs/disk/compress.o libfs/disk/dir.o libfs/disk/dir-item.o \
	libfs/disk/file-item.o libfs/disk/inode.o libfs/disk/read.o libfs/disk/write.o

TRACE_OBJS := \
	libfs/trace/data.o libfs/trace/input.o libfs/trace/lex.o libfs/trace/op.o \
	libfs/trace/parse.o libfs/trace/path.o libfs/trace/reader.o libfs/trace/spec.o \
	libfs/trace/stamp.o libfs/trace/writer.o
TRACE_OBJS += libfs/trace/spec-text.o

CHECK_OBJS := \
	libfs/check/compare.o libfs/check/fsck.o libfs/check/fsck-collect.o \
	libfs/check/fsck-vec.o libfs/check/hasher.o libfs/check/pass0-super.o \
	libfs/check/pass1-trees.o libfs/check/pass2-extents.o libfs/check/pass3-inodes.o \
	libfs/check/pass3-names.o libfs/check/pass4-data.o libfs/check/problem.o
CHECK_OBJS += libfs/check/expect.o libfs/check/expect-read.o libfs/check/expect-check.o \
	libfs/check/expect-cmp.o
CHECK_OBJS += libfs/check/fsck-expect.o

ENGINE_OBJS := \
	libfs/engine/bio.o libfs/engine/cow.o libfs/engine/engine.o libfs/engine/events.o \
	libfs/engine/extent-io-tree.o libfs/engine/extent-writepage.o libfs/engine/file.o \
	libfs/engine/fixup.o libfs/engine/inode.o libfs/engine/mmap.o \
	libfs/engine/ordered-data.o libfs/engine/ordered-io.o libfs/engine/page-cache.o \
	libfs/engine/page-ops.o libfs/engine/profile.o libfs/engine/readpage.o \
	libfs/engine/reclaim.o libfs/engine/space-info.o libfs/engine/task.o \
	libfs/engine/transaction.o libfs/engine/truncate.o libfs/engine/workqueue.o

ORACLE_OBJS := libfs/replay/oracle.o libfs/replay/oracle-map.o libfs/replay/oracle-expect.o \
	libfs/replay/oracle-adopt.o libfs/replay/oracle-inode.o
REPLAY_OBJS := $(ORACLE_OBJS) libfs/replay/driver.o libfs/replay/replay-op.o \
	libfs/replay/replay-verify.o
REPLAY_OBJS += libfs/replay/replay-profile.o libfs/replay/replay-copy.o \
	libfs/replay/replay-matrix.o

LIB_OBJS := $(UTIL_OBJS) $(DISK_OBJS) $(TRACE_OBJS) $(CHECK_OBJS) $(ENGINE_OBJS) $(REPLAY_OBJS)

# ---- commands ----

CMD_COMMON := cmd/messages.o cmd/options.o
COMMANDS := cowmkfs cowdump
COMMANDS += cowfsck
COMMANDS += cowreplay

# ---- unit suites: each links only its layer and those below it ----

UNIT_UTIL := tests/unit/check_util
UNIT_DISK := tests/unit/check_disk
UNIT_TESTS := $(UNIT_UTIL) $(UNIT_DISK)
UNIT_FSOPS := tests/unit/check_fsops
UNIT_TESTS += $(UNIT_FSOPS)
UNIT_TRACE := tests/unit/check_trace
UNIT_TESTS += $(UNIT_TRACE)
UNIT_CHECK := tests/unit/check_check
UNIT_TESTS += $(UNIT_CHECK)
UNIT_EXPECT := tests/unit/check_expect
UNIT_TESTS += $(UNIT_EXPECT)
UNIT_FSCK_EXPECT := tests/unit/check_fsck_expect
UNIT_TESTS += $(UNIT_FSCK_EXPECT)
UNIT_ORACLE := tests/unit/check_oracle
UNIT_TESTS += $(UNIT_ORACLE)
UNIT_REPLAY := tests/unit/check_replay tests/unit/check_matrix
UNIT_TESTS += $(UNIT_REPLAY)
UNIT_ENGINE := tests/unit/check_engine_tree tests/unit/check_engine_cache \
	tests/unit/check_engine_ordered tests/unit/check_engine_workqueue tests/unit/check_engine \
	tests/unit/check_engine_fidelity
UNIT_TESTS += $(UNIT_ENGINE)
UNIT_DUMP := tests/unit/check_dump
UNIT_TESTS += $(UNIT_DUMP)
UNIT_CMD := tests/unit/check_cmd
UNIT_TESTS += $(UNIT_CMD)

# ---- test programs: the differential test against the kernel (tests/kernel-diff/run) ----

TEST_TOOLS := tests/tools/trace-apply tests/tools/trace-gen

all: libfs.a $(COMMANDS)

libfs.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

%.o: %.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# A command is cmd/NAME.o plus the shared objects; a larger one lists its extra parts here.
cowmkfs: cmd/mkfs-rootdir.o
cowreplay: cmd/cowreplay-print.o cmd/json.o
cowfsck: cmd/json.o

$(COMMANDS): %: cmd/%.o $(CMD_COMMON) libfs.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) libfs.a $(LDLIBS)

CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

tests/unit/%.o: tests/unit/%.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

# Every suite links the shared helpers (tests/unit/testlib.h) through $^.
$(UNIT_TESTS): tests/unit/testlib.o

tests/unit/check_util: tests/unit/check_util.o $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/unit/check_disk: tests/unit/check_disk.o $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/unit/check_dump: tests/unit/check_dump.o $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# The command helpers live in cmd/, outside the include path of libfs.
tests/unit/check_cmd.o: CFLAGS += -I.
tests/unit/check_cmd: tests/unit/check_cmd.o cmd/options.o cmd/messages.o cmd/json.o $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/tools/trace-gen: tests/tools/trace-gen-ops.o
$(TEST_TOOLS): %: %.o $(TRACE_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/unit/check_fsops: tests/unit/check_fsops.o tests/unit/fsops-data.o $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/unit/check_check: tests/unit/check_check.o $(CHECK_OBJS) $(TRACE_OBJS) $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/unit/check_trace: tests/unit/check_trace.o $(TRACE_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(UNIT_FSCK_EXPECT) tests/unit/check_expect: %: %.o $(CHECK_OBJS) $(TRACE_OBJS) $(DISK_OBJS) \
		$(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests/unit/check_oracle: tests/unit/check_oracle.o $(ORACLE_OBJS) $(CHECK_OBJS) $(TRACE_OBJS) \
		$(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(UNIT_REPLAY): %: %.o $(REPLAY_OBJS) $(ENGINE_OBJS) $(CHECK_OBJS) \
		$(TRACE_OBJS) $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(UNIT_ENGINE): %: %.o $(ENGINE_OBJS) $(DISK_OBJS) $(UTIL_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

demo: all
	@./tests/demo

check-deps:
	@$(PKG_CONFIG) --exists check || { echo "missing test dependency: pkg-config cannot find 'check'; on Debian: apt-get install check" >&2; exit 1; }

check: check-deps all $(UNIT_TESTS) $(TEST_TOOLS)
	@LC_ALL=C ./tests/run-unit $(UNIT_TESTS)
	@LC_ALL=C ./tests/run-regress

# The unit suites under valgrind (no fork, so valgrind sees the tests themselves).
check-valgrind: check-deps all $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do \
	  echo "  VALGRIND $$t"; \
	  CK_FORK=no CK_DEFAULT_TIMEOUT=1200 CK_VERBOSITY=minimal valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite ./$$t; \
	done; echo "valgrind: clean"

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(COMMANDS) $(DESTDIR)$(BINDIR)/
	install -m 644 doc/*.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -f libfs.a $(COMMANDS) $(UNIT_TESTS) tests/unit/*.tap
	rm -f $(TEST_TOOLS)
	find . -name '*.o' -delete -o -name '*.d' -delete

.PHONY: all demo check check-valgrind check-deps install clean
.DELETE_ON_ERROR:

-include $(shell find libfs cmd tests -name '*.d' 2>/dev/null)
