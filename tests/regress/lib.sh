# Helpers for regression case scripts and images/make-images (bash; source it).
#
# Everything here is deterministic: the same arguments give the same names,
# sizes, bytes, modes and times on every machine (bash arithmetic only, no awk
# or $RANDOM, whose sequences differ between implementations and versions).

# Run a command, echoing it first, then its exit status: one transcript entry.
run() {
	echo "\$ $*"
	"$@"
	echo "Exit status is $?"
}

# Skip the case (exit 77) when a tool is missing.
need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "missing $tool" >&2
			exit 77
		}
	done
}

# A 31-bit LCG (the C standard's example): rng_seed N, then rng_next sets REPLY.
rng_seed() {
	rng_state=$(($1 & 0x7fffffff))
}

rng_next() {
	rng_state=$(((rng_state * 1103515245 + 12345) & 0x7fffffff))
	REPLY=$((rng_state >> 8))
}

# rng_below N: REPLY in [0, N)
rng_below() {
	rng_next
	REPLY=$((REPLY % $1))
}

# Write size bytes of text to path: numbered lines from the generator, so the
# data is deterministic, different per file, and compressible (as real text is).
write_text() {
	local path=$1 size=$2 line n=0 chunk="" len=0 name=${1##*/}
	: >"$path"
	while ((len < size)); do
		rng_next
		line="$name line $n value $REPLY"
		printf -v line '%-100.100s' "$line$line$line"
		chunk+="$line"$'\n'
		len=$((len + ${#line} + 1))
		n=$((n + 1))
		if ((${#chunk} >= 65536 || len >= size)); then
			printf '%s' "$chunk" >>"$path"
			chunk=""
		fi
	done
	truncate -s "$size" "$path"
}

# Set mode and a time derived from the generator (whole seconds).
set_attrs() {
	local path=$1 mode=$2
	chmod "$mode" "$path"
	rng_below 100000000
	touch -h -d "@$((1600000000 + REPLY))" "$path"
}

# make_small_tree DIR SEED: a few dozen files and directories of text, a few
# bytes to a few hundred KiB, with the odd names and sizes that catch bugs.
make_small_tree() {
	local top=$1 i d size
	rng_seed "$2"
	mkdir -p "$top"
	mkdir -p "$top/empty-dir" "$top/a/b/c/d/e" "$top/with space" "$top/docs"
	write_text "$top/hello.txt" 13
	: >"$top/empty-file"
	for size in 4095 4096 4097 131071 131072 131073 300000; do
		write_text "$top/docs/size-$size" "$size"
	done
	write_text "$top/a/b/c/d/e/deep.txt" 777
	write_text "$top/with space/file with space" 1000
	write_text "$top/$(printf 'n%.0s' $(seq 1 255))" 10
	write_text "$top/caf$(printf '\303\251')" 42
	for i in $(seq 1 20); do
		rng_below 5
		d=$top/a
		((REPLY == 1)) && d=$top/a/b
		((REPLY == 2)) && d=$top/docs
		rng_below 20000
		write_text "$d/file-$i" "$REPLY"
	done
	# sparse: a hole between two runs of data, and a hole at the end
	write_text "$top/sparse" 5000
	truncate -s 3000000 "$top/sparse"
	printf 'middle' | dd of="$top/sparse" bs=1 seek=2000000 conv=notrunc status=none
	truncate -s 4000000 "$top/sparse"
	tree_attrs "$top"
}

# Modes and times, deepest first so that a directory's time is set last.
tree_attrs() {
	local top=$1 path modes_f=(0644 0600 0755 0444 0640) modes_d=(0755 0700 0750)
	while IFS= read -r -d '' path; do
		if [[ -d $path ]]; then
			rng_below ${#modes_d[@]}
			set_attrs "$path" "${modes_d[REPLY]}"
		else
			rng_below ${#modes_f[@]}
			set_attrs "$path" "${modes_f[REPLY]}"
		fi
	done < <(find "$top" -mindepth 1 -depth -print0 | LC_ALL=C sort -z -r)
	chmod 0755 "$top"
	touch -d @1600000000 "$top"
}

# What a copy must keep, one line per entry: path, type, mode, size, mtime.
tree_manifest() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %m %s %T@\n' | LC_ALL=C sort)
}

# make_large_tree DIR SEED NFILES: NFILES files in nested directories, 0 bytes to
# 6 MiB, most small, some on extent boundaries, a few sparse.  The bytes come from
# awk's generator (they differ between awks; the names and sizes do not).
make_large_tree() {
	local top=$1 n=$3 i size off path d depth dirs=("$1")
	rng_seed "$2"
	mkdir -p "$top"
	awk -v n=8388608 -v seed="$2" 'BEGIN { srand(seed)
		for (i = 0; i < n; i += 4)
			printf "%c%c%c%c", int(rand() * 256), int(rand() * 256),
			       int(rand() * 256), int(rand() * 256) }' >"$top.pool"
	for ((i = 0; i < n / 10; i++)); do
		rng_below ${#dirs[@]}
		d=${dirs[REPLY]}/dir-$i
		mkdir "$d"
		dirs+=("$d")
	done
	for ((i = 0; i < n; i++)); do
		rng_below 100
		if ((REPLY < 50)); then rng_below 16384
		elif ((REPLY < 80)); then rng_below 524288
		elif ((REPLY < 95)); then rng_below 3145728
		else rng_below 6291456
		fi
		size=$REPLY
		case $i in
		1) size=1048575 ;; 2) size=1048576 ;; 3) size=1048577 ;; 4) size=2097152 ;;
		esac
		rng_below ${#dirs[@]}
		path=${dirs[REPLY]}/file-$i
		rng_below $((8388608 - size + 1))
		off=$REPLY
		dd if="$top.pool" of="$path" bs=65536 iflag=skip_bytes,count_bytes \
			skip="$off" count="$size" status=none
		rng_below 20
		if ((REPLY == 0 && size > 8192)); then
			# punch a hole: rewrite the file with its middle left out
			truncate -s 0 "$path"
			truncate -s "$size" "$path"
			dd if="$top.pool" of="$path" bs=4096 count=1 conv=notrunc status=none
		fi
	done
	rm -f "$top.pool"
	tree_attrs "$top"
}
